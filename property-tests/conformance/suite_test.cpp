// run_suite as a gate: summary line, exit codes, strict mode, rule selection,
// progress lines and the JSON result.

#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <sinkkit/runners/suite.hpp>

#include "../harnesses/reference_harnesses.hpp"
#include "../mutants/close_mutants.hpp"
#include "../mutants/write_mutants.hpp"

namespace {

using namespace sinkkit;

SuiteOptions quick(std::vector<std::string> rules) {
  SuiteOptions o;
  o.check.seed = 7;
  o.check.budget = 30;
  o.rules = std::move(rules);
  return o;
}

TEST(Suite, AConformantSinkExitsZeroAndSaysSo) {
  HarnessSink<sinkkit_harnesses::MemorySinkHarness> sut;
  std::ostringstream progress;
  auto o = quick({"SK-2.3", "SK-3.1", "SK-4.3"});
  o.progress = &progress;
  auto r = run_suite(sut, o);
  EXPECT_EQ(r.summary_line(), "2 passed, 0 failed, 1 skipped (1 not applicable)");
  EXPECT_EQ(r.exit_code(), 0);
  EXPECT_NE(progress.str().find("[1/3] SK-2.3 no acknowledged item lost: passed"), std::string::npos) << progress.str();
  EXPECT_NE(progress.str().find("[3/3] SK-4.3 survives a crash: not_applicable"), std::string::npos) << progress.str();
  EXPECT_EQ(r.sink, "memory");
}

// --jobs: rules side by side, each in its own child; the results, their
// order and the progress lines are those of a run one rule at a time.
TEST(Suite, RulesCheckedSideBySideGiveTheSameResultsInTheSameOrder) {
  HarnessSink<zoo::StoreHarness<zoo::DropsLastBufferAtClose>> sut;
  auto o = quick({"SK-3.4", "SK-2.3", "SK-3.1", "SK-4.3", "SK-2.2"});
  std::ostringstream one_progress, side_progress;
  o.progress = &one_progress;
  const auto one = run_suite(sut, o);
  o.jobs = 3;
  o.progress = &side_progress;
  const auto side = run_suite(sut, o);
  ASSERT_EQ(one.rules.size(), side.rules.size());
  for (std::size_t i = 0; i < one.rules.size(); ++i) {
    EXPECT_EQ(side.rules[i].id, one.rules[i].id);
    EXPECT_EQ(side.rules[i].status, one.rules[i].status) << side.rules[i].id;
    EXPECT_EQ(side.rules[i].cases, one.rules[i].cases) << side.rules[i].id;
    EXPECT_EQ(side.rules[i].message, one.rules[i].message) << side.rules[i].id;
  }
  EXPECT_EQ(side.summary_line(), one.summary_line());
  EXPECT_EQ(side.exit_code(), 1);
  // Progress in the list's order: "[1/5] SK-3.4 ...", then "[2/5] SK-2.3 ...".
  std::istringstream lines(side_progress.str());
  std::string line;
  for (std::size_t i = 0; i < side.rules.size(); ++i) {
    ASSERT_TRUE(std::getline(lines, line)) << side_progress.str();
    EXPECT_TRUE(line.starts_with("[" + std::to_string(i + 1) + "/5] " + side.rules[i].id + " ")) << line;
  }
}

TEST(Suite, AMustFailureExitsOne) {
  HarnessSink<zoo::StoreHarness<zoo::DropsLastBufferAtClose>> sut;
  auto r = run_suite(sut, quick({"SK-3.4"}));
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_EQ(r.summary_line(), "0 passed, 1 failed, 0 skipped");
}

TEST(Suite, AShouldFailureWarnsAndFailsOnlyInStrictMode) {
  HarnessSink<zoo::StoreHarness<zoo::LeaksDescriptor>> sut;
  auto o = quick({"SK-3.5"});
  auto r = run_suite(sut, o);
  EXPECT_EQ(r.summary_line(), "0 passed, 0 failed, 0 skipped, 1 warning");
  EXPECT_EQ(r.exit_code(), 0);
  o.strict = true;
  EXPECT_EQ(run_suite(sut, o).exit_code(), 1);
}

TEST(Suite, UnknownRuleIdsAreNamed) {
  HarnessSink<sinkkit_harnesses::MemorySinkHarness> sut;
  try {
    (void)run_suite(sut, quick({"SK-2.3", "SK-7.7"}));
    FAIL() << "an unknown rule id was accepted";
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("SK-7.7"), std::string::npos);
  }
}

TEST(Suite, ResultRoundTripsThroughJsonWithItsSchemaVersion) {
  HarnessSink<zoo::StoreHarness<zoo::ReordersWithinBatch>> sut;
  auto r = run_suite(sut, quick({"SK-2.2", "SK-2.3"}));
  auto j = r.to_json();
  EXPECT_EQ(j.at("schema_version"), kResultSchemaVersion);
  EXPECT_EQ(j.at("exit_code"), 1);
  auto back = SuiteResult::from_json(j);
  EXPECT_EQ(back.to_json(), j);
  j["schema_version"] = 99;
  EXPECT_THROW((void)SuiteResult::from_json(j), std::invalid_argument);
}

TEST(Suite, AFailureCarriesTheShrunkTraceAndCounts) {
  HarnessSink<zoo::StoreHarness<zoo::ReordersWithinBatch>> sut;
  auto r = run_suite(sut, quick({"SK-2.2"}));
  ASSERT_EQ(r.rules.size(), 1U);
  const auto& rr = r.rules[0];
  ASSERT_EQ(rr.status, RuleStatus::failed);
  ASSERT_NE(rr.counts(), nullptr);
  EXPECT_GT(rr.counts()->reordered, 0);
  ASSERT_TRUE(rr.counterexample.has_value());
  const auto& trace = rr.counterexample->trace;
  // Shrunk: a reorder needs one batch of two items, nothing more.
  EXPECT_EQ(trace.workload.total_items(), 2) << rr.counterexample->to_text();
  EXPECT_EQ(trace.workload.workers, 1) << rr.counterexample->to_text();
}

}  // namespace
