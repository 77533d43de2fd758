// The results layer: a rule's and a suite's result, their JSON form (every
// field back, the verdict included, schema errors named), merging the rule
// processes' reports, and the one atomic file writer.

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sinkkit/results/all.hpp>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit_test/sample_results.hpp>

namespace {

using namespace sinkkit;
namespace fs = std::filesystem;

TEST(RuleResult, RoundTripsThroughJson) {
  RuleResult r;
  r.id = "SK-2.3";
  r.level = RuleLevel::must;
  r.status = RuleStatus::failed;
  r.cases = 12;
  r.message = "lost 1 of 2";
  r.title = "no_loss";
  r.statement = "No acknowledged item is lost.";
  Verdict v;
  v.total = Counts{.attempted = 2, .acknowledged = 2, .durable = 1, .lost = 1};
  v.violations.push_back({ViolationKind::lost, "lost 1 of 2; first: w0.b0.e0.s1"});
  v.partitions.push_back({.partition = {0, 0},
                          .counts = v.total,
                          .first_lost = {ItemKey{0, 0, 0, 1}},
                          .first_duplicated = {},
                          .first_unexpected = {},
                          .first_inversion = Inversion{ItemKey{0, 0, 0, 2}, ItemKey{0, 0, 0, 1}, 3},
                          .first_gap = Gap{ItemKey{0, 0, 0, 1}, ItemKey{0, 0, 0, 2}}});
  Trace t;
  t.seed = 5;
  t.workload = Workload::empty(1, 1, 1);
  t.workload.batches(0, 0, 0) = {2};
  r.counterexample = Counterexample{.trace = t, .verdict = v};
  r.seed = 99;
  r.reproduce = "SINKKIT_SEED=99 ./t";
  r.output = "sink said hello\n";
  auto back = RuleResult::from_json(r.to_json());
  EXPECT_EQ(back.to_json(), r.to_json());
  ASSERT_NE(back.counts(), nullptr);
  EXPECT_EQ(*back.counts(), *r.counts());
  EXPECT_EQ(back.counterexample->to_text(), r.counterexample->to_text()) << "trace and verdict both come back";
}

// A failure whose read-back held (a call threw) never says "verdict: clean".
TEST(RuleResult, ItsDuplicateFigureRoundTripsAndReadsAsASentence) {
  RuleResult r{.id = "SK-4.1", .status = RuleStatus::passed, .cases = 30};
  r.duplicates = DuplicateFigure{.items = 76, .cases = 2, .after = {"replies dropped", "repeated closes"}};
  const auto back = RuleResult::from_json(r.to_json());
  ASSERT_TRUE(back.duplicates);
  EXPECT_EQ(*back.duplicates, *r.duplicates);
  EXPECT_EQ(r.duplicates->to_text(30), "76 duplicates in 2 of 30 cases, after replies dropped and repeated closes");
  EXPECT_EQ((DuplicateFigure{.items = 1, .cases = 1, .after = {"a failed write"}}).to_text(1),
            "1 duplicate in 1 of 1 case, after a failed write");
  EXPECT_EQ((DuplicateFigure{.items = 3, .cases = 1, .after = {"a", "b", "c"}}).to_text(5),
            "3 duplicates in 1 of 5 cases, after a, b and c");
  EXPECT_FALSE(RuleResult::from_json(RuleResult{.id = "SK-2.3"}.to_json()).duplicates);
}

TEST(Counterexample, ACleanReadBackBesideAFailureDoesNotReadAsAPass) {
  Trace t;
  t.workload = Workload::empty(1, 1, 1);
  const Counterexample clean{.trace = t, .verdict = Verdict{}};
  ASSERT_TRUE(clean.verdict->clean());
  EXPECT_EQ(clean.to_text().find("verdict: clean"), std::string::npos) << clean.to_text();
  EXPECT_NE(clean.to_text().find("the failure is in the calls above"), std::string::npos) << clean.to_text();
  Verdict lost;
  lost.violations.push_back({ViolationKind::lost, "lost 1 of 2"});
  const Counterexample dirty{.trace = t, .verdict = lost};
  EXPECT_NE(dirty.to_text().find("verdict: 1 violation"), std::string::npos) << dirty.to_text();
}

TEST(SuiteResult, SummaryCountsNotApplicableAndUntestedApart) {
  SuiteResult run;
  run.rules = {{.id = "SK-1.3", .status = RuleStatus::not_applicable},
               {.id = "SK-3.5", .status = RuleStatus::untested},
               {.id = "SK-4.3", .status = RuleStatus::not_applicable},
               {.id = "SK-2.3", .status = RuleStatus::passed}};
  EXPECT_EQ(run.summary_line(), "1 passed, 0 failed, 3 skipped (2 not applicable, 1 untested)");
  run.rules.erase(run.rules.begin(), run.rules.begin() + 1);
  run.rules.erase(run.rules.begin() + 1);
  EXPECT_EQ(run.summary_line(), "1 passed, 0 failed, 1 skipped (1 untested)");
  run.rules.erase(run.rules.begin());
  EXPECT_EQ(run.summary_line(), "1 passed, 0 failed, 0 skipped");
}

TEST(RuleResult, BadStatusAndLevelAreNamed) {
  auto j = RuleResult{}.to_json();
  j["status"] = "sort_of";
  EXPECT_THROW((void)RuleResult::from_json(j), std::invalid_argument);
  j = RuleResult{}.to_json();
  j["level"] = "MAYBE";
  try {
    (void)RuleResult::from_json(j);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("MAYBE"), std::string::npos);
  }
}

TEST(RuleResult, TextShowsStatementCounterexampleAndReproduce) {
  RuleResult r = sinkkit_test::close_rule_result(RuleStatus::failed);
  r.statement = std::string(rule("SK-3.1").statement);
  r.reproduce = "SINKKIT_SEED=1 ./t";
  const auto text = r.to_text();
  EXPECT_NE(text.find(std::string(rule("SK-3.1").statement)), std::string::npos);
  EXPECT_NE(text.find("    #0 build w0.b0: ok"), std::string::npos);
  EXPECT_NE(text.find("reproduce: SINKKIT_SEED=1 ./t"), std::string::npos);
}


TEST(Verdict, RoundTripsThroughJsonAndNamesAMalformedPartition) {
  Verdict v;
  v.total = Counts{.attempted = 3, .acknowledged = 3, .durable = 1, .lost = 2};
  v.first_unexpected = {ItemKey{9, 0, 0, 0}};
  v.violations.push_back({ViolationKind::gap, "w0.b0.e0.s1 missing, w0.b0.e0.s2 durable"});
  v.partitions.push_back({.partition = {1, 2},
                          .counts = v.total,
                          .first_lost = {ItemKey{1, 2, 0, 0}, ItemKey{1, 2, 0, 1}},
                          .first_duplicated = {ItemKey{1, 2, 0, 2}},
                          .first_unexpected = {},
                          .first_inversion = std::nullopt,
                          .first_gap = Gap{ItemKey{1, 2, 0, 0}, ItemKey{1, 2, 0, 2}}});
  const auto j = v.to_json();
  const auto back = Verdict::from_json(j);
  EXPECT_EQ(back.to_json(), j);
  EXPECT_EQ(back.to_text(), v.to_text());
  auto bad = j;
  bad["partitions"][0]["partition"] = "worker1";
  try {
    (void)Verdict::from_json(bad);
    FAIL() << "a malformed partition was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("worker1"), std::string::npos) << e.what();
  }
}

TEST(SuiteResult, IdsSortAsTheCatalogueDoes) {
  EXPECT_TRUE(rule_id_less("SK-2.9", "SK-2.10"));
  EXPECT_FALSE(rule_id_less("SK-2.10", "SK-2.9"));
  EXPECT_TRUE(rule_id_less("SK-1.4", "SK-2.1"));
  EXPECT_TRUE(rule_id_less("SK-6.2", "X-1")) << "catalogue ids before others";
  const auto all = catalogue();
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_TRUE(rule_id_less(all[i - 1].id, all[i].id)) << all[i].id;
}

TEST(SuiteResult, MergeKeepsTheFreshRuleAddsTheOthersInOrderAndUnitesGateErrors) {
  SuiteResult saved{.sink = "s", .seconds = 2};
  saved.rules = {{.id = "SK-2.10", .status = RuleStatus::passed}, {.id = "SK-1.1", .status = RuleStatus::failed}};
  saved.gate_errors = {"expired entry"};
  SuiteResult fresh{.sink = "s", .seconds = 1};
  fresh.rules = {{.id = "SK-1.1", .status = RuleStatus::passed}, {.id = "SK-2.9", .status = RuleStatus::passed}};
  fresh.gate_errors = {"expired entry"};
  const auto merged = merge_results(fresh, saved);
  ASSERT_EQ(merged.rules.size(), 3U);
  EXPECT_EQ(merged.rules[0].id, "SK-1.1");
  EXPECT_EQ(merged.rules[0].status, RuleStatus::passed) << "the rerun's result wins";
  EXPECT_EQ(merged.rules[1].id, "SK-2.9");
  EXPECT_EQ(merged.rules[2].id, "SK-2.10");
  EXPECT_EQ(merged.gate_errors.size(), 1U);
  EXPECT_DOUBLE_EQ(merged.seconds, 3);
}

TEST(SuiteResult, AnInterruptedRunRoundTripsNeverPassesAndSaysSo) {
  SuiteResult run{.sink = "s"};
  run.rules = {{.id = "SK-1.1", .status = RuleStatus::passed},
               {.id = "SK-2.3", .status = RuleStatus::untested, .message = std::string(kNotRunPrefix) + "SIGTERM"}};
  EXPECT_EQ(run.exit_code(), 0);
  run.interrupted = "SIGTERM";
  EXPECT_EQ(run.exit_code(), 2) << "an interrupted run never passes";
  EXPECT_NE(run.summary_line().find("interrupted by SIGTERM"), std::string::npos) << run.summary_line();
  const auto back = SuiteResult::from_json(run.to_json());
  EXPECT_EQ(back.interrupted, "SIGTERM");
  EXPECT_FALSE(SuiteResult{.sink = "s"}.to_json().contains("interrupted")) << "absent when not interrupted";
}

TEST(SuiteResult, MergeNeverLetsANotRunRuleReplaceAVerdictAndClearsAnInterruptionOnceAllRan) {
  const std::string not_run = std::string(kNotRunPrefix) + "SIGTERM";
  const std::string gate = std::string(kInterruptedPrefix) + "SIGTERM: 1 of 2 rules not run";
  SuiteResult interrupted{.sink = "s", .interrupted = "SIGTERM"};
  interrupted.rules = {{.id = "SK-1.1", .status = RuleStatus::untested, .message = not_run},
                       {.id = "SK-2.3", .status = RuleStatus::untested, .message = not_run}};
  interrupted.gate_errors = {gate};
  SuiteResult judged{.sink = "s"};
  judged.rules = {{.id = "SK-1.1", .status = RuleStatus::failed}};
  // The interrupted process wrote last: its "not run" does not hide SK-1.1's failure.
  auto merged = merge_results(interrupted, judged);
  EXPECT_EQ(merged.rules[0].status, RuleStatus::failed);
  EXPECT_EQ(merged.interrupted, "SIGTERM") << "SK-2.3 is still not run";
  // A later run of SK-2.3 completes the report: no longer interrupted.
  SuiteResult rerun{.sink = "s"};
  rerun.rules = {{.id = "SK-2.3", .status = RuleStatus::passed}};
  merged = merge_results(rerun, merged);
  EXPECT_EQ(merged.interrupted, "");
  EXPECT_TRUE(merged.gate_errors.empty());
  EXPECT_EQ(merged.rules[1].status, RuleStatus::passed);
}

TEST(Shard, ParsesIOfNAndNamesWhatIsWrong) {
  EXPECT_EQ(parse_shard("2/3"), (Shard{.index = 2, .count = 3}));
  EXPECT_EQ(to_string(parse_shard("1/1")), "1/1");
  const auto error = [](std::string_view text) {
    try {
      (void)parse_shard(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_NE(error("0/3").find("I must be 1 to 3"), std::string::npos) << error("0/3");
  EXPECT_NE(error("0/3").find("JOB_COMPLETION_INDEX"), std::string::npos) << "a 0-based index is a likely mistake";
  EXPECT_NE(error("4/3").find("I must be 1 to 3"), std::string::npos) << error("4/3");
  EXPECT_NE(error("2").find("expected I/N"), std::string::npos) << error("2");
  EXPECT_NE(error("a/3").find("expected I/N"), std::string::npos) << error("a/3");
  EXPECT_NE(error("1/3x").find("expected I/N"), std::string::npos) << error("1/3x");
  EXPECT_NE(error("1/0").find("N must be 1 to 10000"), std::string::npos) << error("1/0");
}

TEST(Shard, NShardsHoldEveryRuleOfTheCatalogueOnce) {
  std::vector<const Rule*> all;
  for (const auto& r : catalogue()) all.push_back(&r);
  for (int n = 1; n <= 4; ++n) {
    std::map<std::string, int> held;
    for (int i = 1; i <= n; ++i)
      for (const Rule* r : rules_of_shard(all, Shard{.index = i, .count = n})) ++held[std::string(r->id)];
    EXPECT_EQ(held.size(), all.size()) << n << " shards";
    for (const auto& [id, times] : held) EXPECT_EQ(times, 1) << id << " in " << times << " of " << n << " shards";
  }
  // By place in the catalogue, whatever the selection: one rule's shard is the same in every process.
  const std::vector<const Rule*> one{&rule("SK-2.3")};
  int holders = 0;
  for (int i = 1; i <= 3; ++i) holders += rules_of_shard(one, Shard{.index = i, .count = 3}).size() == 1 ? 1 : 0;
  EXPECT_EQ(holders, 1);
}

SuiteResult shard_of(int index, int count, std::vector<RuleResult> rules) {
  SuiteResult r{.sink = "s", .subject = "python3 s.py", .seed = 5, .seconds = 2};
  r.shard = Shard{.index = index, .count = count};
  r.rules = std::move(rules);
  return r;
}

TEST(MergeShards, MakesOneRunAndAFailureInAnyShardFailsIt) {
  const auto one = shard_of(1, 3, {{.id = "SK-2.3", .status = RuleStatus::passed}});
  auto two = shard_of(2, 3, {{.id = "SK-1.1", .status = RuleStatus::failed}});
  two.gate_errors = {"an expired entry"};
  const auto three = shard_of(3, 3, {{.id = "SK-4.2", .status = RuleStatus::warning}});
  const auto merged = merge_shards({one, two, three}, {"a.json", "b.json", "c.json"});
  ASSERT_EQ(merged.rules.size(), 3U);
  EXPECT_EQ(merged.rules[0].id, "SK-1.1") << "catalogue order";
  EXPECT_EQ(merged.exit_code(), 1);
  EXPECT_TRUE(merged.shard.whole());
  EXPECT_DOUBLE_EQ(merged.seconds, 6) << "figures summed";
  EXPECT_EQ(merged.seed, 5U);
  EXPECT_EQ(merged.gate_errors, std::vector<std::string>{"an expired entry"});
  ASSERT_EQ(merged.gate_notes.size(), 1U);
  EXPECT_EQ(merged.gate_notes[0], "merged from shards 1/3 (a.json), 2/3 (b.json), 3/3 (c.json)");
  // Shards round-trip through the JSON they are merged from.
  EXPECT_EQ(SuiteResult::from_json(two.to_json()).shard, (Shard{.index = 2, .count = 3}));
  EXPECT_FALSE(merged.to_json().contains("shard"));
}

TEST(MergeShards, AMissingShardFailsTheMergeAndPartsOfOtherRunsAreRefused) {
  const auto one = shard_of(1, 3, {{.id = "SK-2.3", .status = RuleStatus::passed}});
  const auto three = shard_of(3, 3, {{.id = "SK-4.2", .status = RuleStatus::passed}});
  const auto merged = merge_shards({one, three}, {"a.json", "c.json"});
  EXPECT_EQ(merged.exit_code(), 1) << "a CI job that wrote no result must not pass the gate";
  ASSERT_EQ(merged.gate_errors.size(), 1U);
  EXPECT_EQ(merged.gate_errors[0], "shard 2/3 missing from the merge: the run is incomplete");
  const auto refused = [](const std::vector<SuiteResult>& parts) {
    try {
      (void)merge_shards(parts, {"a.json", "b.json"});
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(merged)");
  };
  EXPECT_EQ(refused({one, one}), "shard 1/3 is given twice: a.json and b.json");
  EXPECT_EQ(refused({one, shard_of(2, 4, {})}), "b.json is shard 2/4, another part was of 3 shards");
  auto other = shard_of(2, 3, {});
  other.subject = "python3 t.py";
  EXPECT_NE(refused({one, other}).find("only shards of one run merge"), std::string::npos) << refused({one, other});
  EXPECT_EQ(refused({one, shard_of(2, 3, {{.id = "SK-2.3", .status = RuleStatus::passed}})}),
            "rule SK-2.3 is in both a.json and b.json: only parts of one run (disjoint rules) merge");
  EXPECT_EQ(refused({}), "nothing to merge");
  // Parts at other seeds merge (disjoint rules), saying they are not one run's cases.
  auto reseeded = shard_of(2, 3, {});
  reseeded.seed = 6;
  const auto mixed = merge_shards({one, reseeded, three}, {"a", "b", "c"});
  EXPECT_EQ(mixed.seed, 0U);
  EXPECT_NE(mixed.gate_notes.back().find("different seeds or budgets (a: seed 5, budget 0, b: seed 6"), std::string::npos)
      << mixed.gate_notes.back();
  // A shard that did not finish, or never started, keeps the merge from passing.
  auto cut = shard_of(2, 3, {});
  cut.interrupted = "SIGTERM";
  EXPECT_EQ(merge_shards({one, cut, three}, {}).exit_code(), 2);
  auto broken = shard_of(2, 3, {});
  broken.infrastructure_error = "cannot use the sink";
  EXPECT_EQ(merge_shards({one, broken, three}, {"a", "b", "c"}).infrastructure_error, "b: cannot use the sink");
}

TEST(ResultFile, WritesAtomicallyReadsBackAndNamesTheFileOnError) {
  const fs::path dir = fs::temp_directory_path() / ("sinkkit-results-" + std::to_string(::getpid()));
  SuiteResult run{.sink = "ledger", .seed = 7};
  run.rules.push_back({.id = "SK-2.3", .status = RuleStatus::failed, .message = "bad \xC3( utf-8"});
  write_result_file(dir / "nested" / "ledger.json", run);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "nested"), fs::directory_iterator()), 1)
      << "no temporary file is left behind";
  const auto back = read_result_file(dir / "nested" / "ledger.json");
  EXPECT_EQ(back.sink, "ledger");
  EXPECT_EQ(back.rules.at(0).status, RuleStatus::failed);
  EXPECT_EQ(result_json_text(back), result_json_text(read_result_file(dir / "nested" / "ledger.json")));
  std::ofstream(dir / "bad.json") << R"({"schema_version": 99})";
  try {
    (void)read_result_file(dir / "bad.json");
    FAIL() << "schema 99 was read";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("schema_version 99"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)read_result_file(dir / "missing.json"), std::invalid_argument);
  fs::remove_all(dir);
}

}  // namespace
