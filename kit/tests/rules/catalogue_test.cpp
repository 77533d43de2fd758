// The catalogue is the single source of rule ids and levels; docs/spec.md
// renders it and must never disagree.

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/rules/check.hpp>

namespace {

using namespace sinkkit;

constexpr std::string_view kBegin = "<!-- catalogue:begin (generated from kit/src/rules/catalogue.cpp) -->\n";
constexpr std::string_view kEnd = "<!-- catalogue:end -->";

std::pair<int, int> id_numbers(std::string_view id) {
  auto dot = id.find('.');
  return {std::stoi(std::string(id.substr(3, dot - 3))), std::stoi(std::string(id.substr(dot + 1)))};
}

TEST(Catalogue, IdsAreWellFormedUniqueAndInOrder) {
  std::set<std::string_view> seen;
  std::pair<int, int> previous{0, 0};
  for (const auto& r : catalogue()) {
    ASSERT_TRUE(r.id.starts_with("SK-") && r.id.find('.') != std::string_view::npos) << r.id;
    EXPECT_TRUE(seen.insert(r.id).second) << "duplicate id " << r.id;
    auto numbers = id_numbers(r.id);
    EXPECT_LT(previous, numbers) << r.id << " is out of order";
    previous = numbers;
    EXPECT_FALSE(r.title.empty() || r.statement.empty() || r.rationale.empty() || r.applies.empty() ||
                 r.checked_by.empty())
        << r.id << " has an empty field";
  }
  EXPECT_GE(catalogue().size(), 28U);
}

TEST(Catalogue, EveryRuleHasACheck) {
  for (const auto& r : catalogue()) EXPECT_TRUE(has_check(r.id)) << r.id;
}

TEST(Catalogue, LookupByIdAndUnknownIdsNamed) {
  EXPECT_EQ(rule("SK-2.3").level, RuleLevel::must);
  EXPECT_EQ(find_rule("SK-9.9"), nullptr);
  try {
    (void)rule("SK-9.9");
    FAIL() << "rule() accepted an unknown id";
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("SK-9.9"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("SK-1.1"), std::string::npos) << "should list the known ids";
  }
}

// SINKKIT_UPDATE_SPEC=1 rewrites docs/spec.md's generated section instead.
TEST(Catalogue, DocsSpecMatchesTheCode) {
  const std::string path = SINKKIT_SOURCE_DIR "/docs/spec.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream buf;
  buf << in.rdbuf();
  std::string doc = buf.str();
  const auto begin = doc.find(kBegin);
  const auto end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << path << " lacks the marker " << kBegin;
  ASSERT_NE(end, std::string::npos) << path << " lacks the marker " << kEnd;
  const auto from = begin + kBegin.size();
  const std::string generated = catalogue_markdown();
  if (const char* update = std::getenv("SINKKIT_UPDATE_SPEC"); update && std::string(update) == "1") {
    doc.replace(from, end - from, generated);
    std::ofstream(path) << doc;
    GTEST_SKIP() << "rewrote " << path;
  }
  EXPECT_EQ(doc.substr(from, end - from), generated)
      << "docs/spec.md and the catalogue disagree. Edit kit/src/rules/catalogue.cpp, then run this test with "
         "SINKKIT_UPDATE_SPEC=1 to regenerate the section.";
}

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
  RuleResult r;
  r.id = "SK-3.1";
  r.status = RuleStatus::failed;
  r.message = "close x1 and close x2 read back differently";
  r.statement = std::string(rule("SK-3.1").statement);
  Trace t;
  t.workload = Workload::empty(1, 1, 1);
  TraceEvent build;
  build.kind = CallKind::build;
  t.events.push_back(build);
  r.counterexample = Counterexample{.trace = t, .verdict = std::nullopt};
  r.reproduce = "SINKKIT_SEED=1 ./t";
  const auto text = r.to_text();
  EXPECT_NE(text.find(std::string(rule("SK-3.1").statement)), std::string::npos);
  EXPECT_NE(text.find("    #0 build w0.b0: ok"), std::string::npos);
  EXPECT_NE(text.find("reproduce: SINKKIT_SEED=1 ./t"), std::string::npos);
}

}  // namespace
