// The pace of a sink process's calls: slow is not hung, and once a call hung,
// the limits follow the calls of the same kind and size, in every process
// forked from the one that keeps the pace.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include <gtest/gtest.h>

#include "runners/call_pace.hpp"

namespace {

using namespace std::chrono_literals;
using sinkkit::detail::CallPace;
using Kind = CallPace::Kind;

constexpr std::chrono::milliseconds kTimeout{10'000};

void answer(CallPace& pace, Kind kind, std::size_t items, std::chrono::nanoseconds took) {
  pace.answered(kind, items, took, kTimeout, pace.limit(kind, items, kTimeout));
}

TEST(CallPace, BeforeAHangEveryCallGetsTheCallTimeout) {
  CallPace pace;
  answer(pace, Kind::close, 0, 2ms);
  const auto l = pace.limit(Kind::close, 0, kTimeout);
  EXPECT_EQ(l.timeout, kTimeout);
  EXPECT_TRUE(l.basis.empty());
}

TEST(CallPace, AfterAHangACallGetsTwentyTimesItsOwnKindsSlowest) {
  CallPace pace;
  answer(pace, Kind::close, 0, 2ms);
  answer(pace, Kind::write_batch, 64, 480ms);  // a slow write elsewhere does not lengthen a close's limit
  pace.timed_out();
  auto close = pace.limit(Kind::close, 0, kTimeout);
  EXPECT_EQ(close.timeout, 1000ms) << close.basis;  // 20 x 2 ms, at least 1 s
  EXPECT_NE(close.basis.find("the slowest close answered (2 ms)"), std::string::npos) << close.basis;
  const auto write = pace.limit(Kind::write_batch, 64, kTimeout);
  EXPECT_EQ(write.timeout, 9600ms) << write.basis;
  EXPECT_NE(write.basis.find("write_batch of up to 127 items"), std::string::npos) << write.basis;
  // A batch of a larger size than any answered: the nearest smaller size's
  // time, scaled to it (2x per doubling).
  EXPECT_EQ(pace.limit(Kind::write_batch, 200, kTimeout).timeout, kTimeout);  // 19.2 s: the call timeout caps it
  answer(pace, Kind::build, 0, 100ms);
  EXPECT_EQ(pace.limit(Kind::build, 0, kTimeout).timeout, 2000ms);
  // A kind never answered has no pace to judge by: the call timeout.
  EXPECT_EQ(pace.limit(Kind::read_back, 0, kTimeout).timeout, kTimeout);
}

TEST(CallPace, WhatOneProcessLearnsTheOthersForkedFromItKnow) {
  CallPace pace;
  answer(pace, Kind::close, 0, 3ms);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // a rule's process: it sees a hang
    pace.timed_out();
    answer(pace, Kind::close, 0, 70ms);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  const auto l = pace.limit(Kind::close, 0, kTimeout);
  EXPECT_EQ(l.timeout, 1400ms) << l.basis;
}

TEST(CallPace, ABatchFarLargerThanAnyAnsweredGetsItsPaceNotTheTimeout) {
  CallPace pace;
  answer(pace, Kind::write_batch, 1024, 2s);
  const auto l = pace.limit(Kind::write_batch, 65536, 10s);
  EXPECT_EQ(l.timeout, 300s) << l.basis;  // 4 x 128 s, at most 30 x the call timeout
  EXPECT_NE(l.basis.find("4x what its pace on a batch of 1024 items"), std::string::npos) << l.basis;
}

}  // namespace
