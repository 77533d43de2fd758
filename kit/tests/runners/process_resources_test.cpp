// What the kit reads of a process under /proc (rule SK-3.5): every
// descriptor named by what it is open on, the threads, the children.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "runners/process_resources.hpp"

namespace {

using sinkkit::detail::look_at_process;

std::string name_of(const sinkkit::ProcessResources& p, int fd) {
  const auto it = p.descriptors.find(fd);
  return it == p.descriptors.end() ? "(not open)" : it->second;
}

TEST(ProcessResources, EveryDescriptorIsNamedByWhatItIsOpenOn) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  const int client = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);

  const auto me = look_at_process(::getpid());
  ASSERT_TRUE(me);
  EXPECT_EQ(name_of(*me, listener), "a TCP socket 127.0.0.1:" + std::to_string(port) + " (listening)");
  EXPECT_EQ(name_of(*me, client).rfind("a TCP socket 127.0.0.1:", 0), 0U) << name_of(*me, client);
  EXPECT_NE(name_of(*me, client).find(" -> 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << name_of(*me, client);
  EXPECT_EQ(name_of(*me, pipe_fds[0]).rfind("a pipe (pipe:[", 0), 0U) << name_of(*me, pipe_fds[0]);
  EXPECT_EQ(name_of(*me, ::fileno(file)).rfind("/tmp/", 0), 0U) << name_of(*me, ::fileno(file));
  // The look itself opens a descriptor of its own: not counted.
  const auto again = look_at_process(::getpid());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->descriptors, me->descriptors);

  std::fclose(file);
  for (int fd : {listener, client, pipe_fds[0], pipe_fds[1]}) ::close(fd);
  const auto after = look_at_process(::getpid());
  ASSERT_TRUE(after);
  EXPECT_EQ(after->descriptors.size() + 5, me->descriptors.size());
}

TEST(ProcessResources, ThreadsAndChildrenAreCounted) {
  const auto before = look_at_process(::getpid());
  ASSERT_TRUE(before);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  std::thread waiting([] { std::this_thread::sleep_for(std::chrono::milliseconds(300)); });
  const auto during = look_at_process(::getpid());
  waiting.join();
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(during);
  EXPECT_EQ(during->threads, before->threads + 1);
  EXPECT_TRUE(during->children.contains(static_cast<int>(child))) << during->children.size();
}

TEST(ProcessResources, AProcessThatIsGoneIsNothing) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(look_at_process(child));
}

}  // namespace
