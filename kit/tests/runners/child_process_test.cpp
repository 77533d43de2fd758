// run_in_child: whatever the child does, the parent gets a clear account and
// never hangs or leaves a zombie.

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sinkkit/runners/child_process.hpp>
#include <sinkkit/runners/harness.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace sinkkit;
using namespace std::chrono_literals;

void expect_no_child_left() {
  // Every child was reaped: waitpid has nothing to wait for.
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(ChildProcess, ReportsWhatTheChildWrote) {
  auto r = run_in_child([](int fd) { (void)!::write(fd, "hello", 5); });
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_EQ(r.report, "hello");
  expect_no_child_left();
}

// SIGABRT, not SIGSEGV: ASan turns a SEGV into a report and exit code 1.
TEST(ChildProcess, NamesTheSignalThatKilledIt) {
  auto r = run_in_child([](int) { std::abort(); });
  EXPECT_EQ(r.signal, SIGABRT);
  EXPECT_NE(r.describe().find("SIGABRT"), std::string::npos) << r.describe();
  expect_no_child_left();
}

TEST(ChildProcess, KillsAHungChildAtTheTimeout) {
  const auto start = std::chrono::steady_clock::now();
  auto r = run_in_child([](int) { std::this_thread::sleep_for(1h); }, {.timeout = 300ms});
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_NE(r.describe().find("timed out"), std::string::npos);
  expect_no_child_left();
}

TEST(ChildProcess, BoundsAFloodOfOutput) {
  auto r = run_in_child(
      [](int) {
        std::string line(1023, 'x');
        for (int i = 0; i < 10 * 1024; ++i) std::printf("%s\n", line.c_str());  // 10 MiB
      },
      {.max_output = 4096});
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_LT(r.output.size(), 4096U + 100U);
  EXPECT_NE(r.output.find("truncated"), std::string::npos);
  expect_no_child_left();
}

TEST(ChildProcess, AnExceptionInTheChildIsExitCode3WithItsMessage) {
  auto r = run_in_child([](int) { throw std::runtime_error("boom in child"); });
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.output.find("boom in child"), std::string::npos);
  expect_no_child_left();
}

TEST(ChildProcess, OnReportCanKillAtAPlannedPoint) {
  auto r = run_in_child(
      [](int fd) {
        for (int i = 0;; ++i) {
          (void)!::write(fd, "tick\n", 5);
          std::this_thread::sleep_for(1ms);
        }
      },
      {.timeout = 60s, .on_report = [](std::string_view) { return true; }});
  EXPECT_TRUE(r.killed_by_parent);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  expect_no_child_left();
}

// Several children pumped together (run_suite --jobs): each gets its own
// account, a hung one times out without holding up the others, and one the
// kit stops waiting for is killed and reaped.
TEST(RunningChild, PumpsSeveralChildrenEachWithItsOwnAccount) {
  RunningChild quick([](int fd) { (void)!::write(fd, "quick", 5); });
  RunningChild slow([](int fd) {
    std::this_thread::sleep_for(200ms);
    (void)!::write(fd, "slow", 4);
  });
  RunningChild hung([](int) { std::this_thread::sleep_for(1h); }, {.timeout = 500ms});
  const std::vector<RunningChild*> all{&quick, &slow, &hung};
  const auto start = std::chrono::steady_clock::now();
  while (!(quick.finished() && slow.finished() && hung.finished())) {
    ASSERT_LT(std::chrono::steady_clock::now() - start, 30s);
    RunningChild::pump(all, 1s);
  }
  const auto q = quick.wait(), s = slow.wait(), h = hung.wait();
  EXPECT_TRUE(q.exited_ok()) << q.describe();
  EXPECT_EQ(q.report, "quick");
  EXPECT_TRUE(s.exited_ok()) << s.describe();
  EXPECT_EQ(s.report, "slow");
  EXPECT_TRUE(h.timed_out);
  EXPECT_EQ(h.signal, SIGKILL);
  expect_no_child_left();
}

TEST(RunningChild, OneNotWaitedForIsKilledAndReaped) {
  const auto start = std::chrono::steady_clock::now();
  {
    RunningChild forgotten([](int) { std::this_thread::sleep_for(1h); });
    EXPECT_FALSE(forgotten.finished());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  expect_no_child_left();
}

// The crash rule (SK-4.3) must kill at the planned point on every run: a
// child that writes faster than the kit reads its acks must not run past it
// (it once ran through close on a fast CI machine, and the mutant that loses
// unflushed items passed).
TEST(CrashRun, KillsExactlyAtThePlannedPointHoweverFastTheChildRuns) {
  const auto workload = Workload::empty(1, 1, 1);
  for (const std::int64_t kill_after : {0, 1, 3, 50}) {
    auto crash = detail::crash_run(workload, kill_after, [](const detail::WriteHook& before, const detail::WriteHook& after, const detail::WriteHook&) {
      for (int call = 0; call < 10'000; ++call) {
        TraceEvent e;
        e.partition = {0, 0};
        e.call = call;
        e.first_seq = call;
        e.size = 1;
        before(e);
        after(e);
      }
    });
    EXPECT_TRUE(crash.killed) << crash.note;
    ASSERT_EQ(crash.writes.events.size(), static_cast<std::size_t>(kill_after + 1)) << "kill_after=" << kill_after;
    for (std::int64_t i = 0; i < kill_after; ++i) {
      EXPECT_EQ(crash.writes.events[static_cast<std::size_t>(i)].outcome, Outcome::ok);
    }
    EXPECT_EQ(crash.writes.events.back().outcome, Outcome::threw) << "the write in flight at the kill";
    EXPECT_EQ(crash.writes.events.back().call, kill_after);
  }
  expect_no_child_left();
}

// A kill "into" a write lands while the sink works on it: in the middle at
// 0.5 of the run's mean write time; past its end at 3, where the write's
// answer, come before the kill, still does not count.
TEST(CrashRun, KillsIntoTheWriteWhereThePointSays) {
  const auto marks = std::filesystem::temp_directory_path() / ("sinkkit-crash-marks-" + std::to_string(::getpid()));
  for (const double into : {0.5, 3.0}) {
    std::filesystem::remove(marks);
    auto crash = detail::crash_run(Workload::empty(1, 1, 1), KillPoint{1, into},
                                   [&](const detail::WriteHook& before, const detail::WriteHook& after,
                                       const detail::WriteHook&) {
                                     const auto now = [] {
                                       return std::chrono::steady_clock::now().time_since_epoch().count();
                                     };
                                     for (int call = 0; call < 5; ++call) {
                                       TraceEvent e;
                                       e.call = call;
                                       e.first_seq = call;
                                       e.size = 1;
                                       e.start = now();
                                       before(e);
                                       std::ofstream(marks, std::ios::app) << "began " << call << "\n";
                                       std::this_thread::sleep_for(200ms);  // the sink's work on it
                                       std::ofstream(marks, std::ios::app) << "ended " << call << "\n";
                                       e.end = now();
                                       after(e);
                                     }
                                   });
    EXPECT_TRUE(crash.killed) << crash.note;
    EXPECT_NE(crash.note.find(to_string(KillPoint{1, into})), std::string::npos) << crash.note;
    std::ifstream in(marks);
    const std::string seen((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(seen, into < 1 ? "began 0\nended 0\nbegan 1\n" : "began 0\nended 0\nbegan 1\nended 1\n") << into;
    ASSERT_EQ(crash.writes.events.size(), 2u);
    EXPECT_EQ(crash.writes.events[0].outcome, Outcome::ok);
    EXPECT_EQ(crash.writes.events[1].outcome, Outcome::threw) << "in flight at the kill, answered or not";
  }
  std::filesystem::remove(marks);
  expect_no_child_left();
}

TEST(CrashRun, ARunThatEndsBeforeTheKillPointIsNotKilled) {
  auto crash = detail::crash_run(Workload::empty(1, 1, 1), 5, [](const detail::WriteHook& before, const detail::WriteHook& after, const detail::WriteHook&) {
    TraceEvent e;
    e.size = 1;
    before(e);
    after(e);
  });
  EXPECT_FALSE(crash.killed) << crash.note;
  ASSERT_EQ(crash.writes.events.size(), 1u);
  EXPECT_EQ(crash.writes.events[0].outcome, Outcome::ok);
  expect_no_child_left();
}

}  // namespace
