// The findings the checks of one run share: the first rule to find a failed
// call shrinks it, the others are told which rule that is, across the
// processes the runner forks for its checks.

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "runners/shared_findings.hpp"

namespace {

using sinkkit::detail::SharedFindingsBoard;

TEST(SharedFindings, TheFirstToFindAFailureShrinksItTheOthersAreToldWho) {
  SharedFindingsBoard board;
  EXPECT_EQ(board.first_found_by("call|close||repeated|hung", "SK-2.1"), std::nullopt);
  EXPECT_EQ(board.first_found_by("call|close||repeated|hung", "SK-3.1"), "SK-2.1");
  EXPECT_EQ(board.first_found_by("call|close||repeated|hung", "SK-2.1"), "SK-2.1");
  EXPECT_EQ(board.first_found_by("call|write_batch|empty||write|boom", "SK-3.1"), std::nullopt);
}

TEST(SharedFindings, AFindingInOneForkedCheckIsKnownToTheOthers) {
  SharedFindingsBoard board;
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::_exit(board.first_found_by("call|build|||other|refused", "SK-1.1") ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(board.first_found_by("call|build|||other|refused", "SK-4.1"), "SK-1.1");
}

TEST(SharedFindings, AFullBoardLetsEveryCheckShrink) {
  SharedFindingsBoard board;
  for (int i = 0; i < 256; ++i) (void)board.first_found_by("signature " + std::to_string(i), "SK-2.3");
  EXPECT_EQ(board.first_found_by("one more", "SK-2.4"), std::nullopt);
}

}  // namespace
