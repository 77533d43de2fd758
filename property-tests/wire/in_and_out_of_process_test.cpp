// The same reference sink, checked in process (a Harness) and out of process
// (the wire protocol, one process per worker), gets the same verdicts.

#include <map>
#include <string>

#include <gtest/gtest.h>
#include <sinkkit/runners/suite.hpp>
#include <sinkkit/runners/wire_sink.hpp>

#include "../harnesses/sqlite_harness.hpp"

namespace {

using namespace sinkkit;

// The SQLite sink committing every batch (with the crash rule): the served
// sink with the most to get wrong (a database file per target, commits, a
// process killed mid-write). The JSON Lines sink and the buffered SQLite
// config ran here too until the test command's time ran short: served, they
// go through the same wire path (the main job and the wire benchmark run the
// served JSON Lines sink), and their own behaviour is checked in process.
// Every rule runs on both paths; what is compared is the verdict, for which a
// few cases per rule do (each out-of-process case starts a sink process per
// worker: at 8 cases the three tests this file had were a quarter of the test command's
// test time; the conformance tests search each sink in process at 25, the
// main job runs the served sinks at the full budget).
SuiteOptions options() {
  SuiteOptions o;
  o.check.seed = 77;
  o.check.budget = 4;
  return o;
}

// Statuses both paths can decide (the fault hooks differ: those are untested
// on one side by design).
void expect_same_verdicts(SinkUnderTest& in_process, SinkUnderTest& out_of_process) {
  const auto a = run_suite(in_process, options());
  const auto b = run_suite(out_of_process, options());
  ASSERT_EQ(a.rules.size(), b.rules.size());
  int compared = 0;
  for (std::size_t i = 0; i < a.rules.size(); ++i) {
    const auto& x = a.rules[i];
    const auto& y = b.rules[i];
    const bool decided = x.status != RuleStatus::untested && y.status != RuleStatus::untested;
    if (!decided) continue;
    ++compared;
    EXPECT_EQ(to_string(x.status), to_string(y.status)) << x.id << "\nin process:\n" << x.to_text()
                                                       << "\nout of process:\n" << y.to_text();
  }
  EXPECT_GE(compared, 24);
}

WireSink served(const std::string& which) {
  return WireSink({.command = {SINKKIT_SERVE_REFERENCE, which}});
}

TEST(InAndOutOfProcess, EveryBatchSqliteTableSinkGetsTheSameVerdictsWithTheCrashRule) {
  HarnessSink<sinkkit_harnesses::SqliteEveryBatchHarness> in_process;
  auto out = served("sqlite-every-batch");
  expect_same_verdicts(in_process, out);
}

// SK-3.5 looks at each sink process from outside (/proc/PID): the served
// reference sinks release what they open, whatever the run did.
TEST(SinkProcessResources, TheServedReferenceSinksReleaseWhatTheyOpen) {
  SuiteOptions o = options();
  o.rules = {"SK-3.5"};
  o.check.budget = 10;
  for (const std::string which : {"jsonl", "sqlite"}) {
    auto sut = served(which);
    const auto r = run_suite(sut, o);
    ASSERT_EQ(r.rules.size(), 1U);
    EXPECT_EQ(to_string(r.rules[0].status), "passed") << which << ":\n" << r.rules[0].to_text();
  }
}

#ifdef SINKKIT_SERVE_MUTANT
// A served C++ sink that opens a descriptor at every build and never closes
// it: SK-3.5 fails, naming the process and what the descriptor is open on.
TEST(SinkProcessResources, AServedSinkThatLeaksADescriptorPerBuildFailsNamingIt) {
  WireSink sut({.command = {SINKKIT_SERVE_MUTANT, "leaks-descriptor"}});
  SuiteOptions o = options();
  o.rules = {"SK-3.5"};
  const auto r = run_suite(sut, o);
  ASSERT_EQ(r.rules.size(), 1U);
  const auto& rule = r.rules[0];
  EXPECT_EQ(to_string(rule.status), "warning") << rule.to_text();
  EXPECT_NE(rule.message.find("after close, process "), std::string::npos) << rule.message;
  EXPECT_NE(rule.message.find(" descriptor more than before build: descriptor "), std::string::npos) << rule.message;
  EXPECT_NE(rule.message.find(" (/dev/null)"), std::string::npos) << rule.message;
}

// A served sink that loses its part only when killed inside its write:
// SK-4.3's kill lands there over the wire too, and the shrunk case says
// where.
TEST(CrashRule, AServedSinkThatLosesItsPartWhenKilledMidWriteFails) {
  WireSink sut({.command = {SINKKIT_SERVE_MUTANT, "moves-aside"}});
  SuiteOptions o = options();
  o.check.budget = 100;  // 25 cases: a point in the run and a point in the write
  o.rules = {"SK-4.3"};
  const auto r = run_suite(sut, o);
  ASSERT_EQ(r.rules.size(), 1U);
  const auto& rule = r.rules[0];
  EXPECT_EQ(to_string(rule.status), "failed") << rule.to_text();
  EXPECT_NE(rule.message.find("'s process in the write after "), std::string::npos) << rule.message;
  EXPECT_NE(rule.message.find(" acknowledged items; first: "), std::string::npos) << rule.message;
}
#endif

}  // namespace
