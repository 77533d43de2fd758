#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sinkkit/runners/allow_list.hpp>

namespace {

using namespace sinkkit;

SuiteResult run_with(RuleStatus status, RuleLevel level = RuleLevel::must) {
  SuiteResult s;
  s.sink = "acme";
  s.subject = "python3 acme.py";
  RuleResult ok;
  ok.id = "SK-2.3";
  RuleResult r;
  r.id = "SK-4.1";
  r.level = level;
  r.status = status;
  s.rules = {ok, r};
  return s;
}

AllowList list(const std::string& text) { return AllowList::parse(nlohmann::json::parse(text), "allow.json"); }

std::string error_of(const std::string& text) {
  try {
    (void)list(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(AllowList, AnAllowedFailureIsReportedButDoesNotFail) {
  auto s = run_with(RuleStatus::failed);
  EXPECT_EQ(s.exit_code(), 1);
  apply_allow_list(s, list(R"({"allow": [{"rule": "SK-4.1", "reason": "fix in 2.4", "expires": "2026-12-31"}]})"), "2026-11-24");
  EXPECT_EQ(s.exit_code(), 0);
  EXPECT_EQ(s.rules[1].status, RuleStatus::failed) << "the status stays";
  EXPECT_EQ(s.rules[1].allowed, "fix in 2.4");
  EXPECT_EQ(s.rules[1].allowed_until, "2026-12-31");
  EXPECT_EQ(s.summary_line(), "1 passed, 0 failed, 0 skipped, 1 allowed");
  EXPECT_NE(s.rules[1].to_text().find("allowed by the allow-list: fix in 2.4 (until 2026-12-31)"), std::string::npos);
  // It survives the JSON report.
  EXPECT_EQ(SuiteResult::from_json(s.to_json()).exit_code(), 0);
}

TEST(AllowList, AnEntryHoldsThroughItsExpiryDayAndFailsAfter) {
  const auto allow = list(R"({"allow": [{"rule": "SK-4.1", "reason": "r", "expires": "2026-11-24"}]})");
  auto on_the_day = run_with(RuleStatus::failed);
  apply_allow_list(on_the_day, allow, "2026-11-24");
  EXPECT_EQ(on_the_day.exit_code(), 0);
  auto day_after = run_with(RuleStatus::failed);
  apply_allow_list(day_after, allow, "2026-11-25");
  EXPECT_EQ(day_after.exit_code(), 1);
  ASSERT_EQ(day_after.gate_errors.size(), 1U);
  EXPECT_NE(day_after.gate_errors[0].find("SK-4.1"), std::string::npos);
  EXPECT_NE(day_after.gate_errors[0].find("expired on 2026-11-24"), std::string::npos);
  EXPECT_FALSE(day_after.rules[1].allowed);
  // An expired entry fails even when the rule now passes: it must be cleaned up.
  auto fixed = run_with(RuleStatus::passed);
  apply_allow_list(fixed, allow, "2026-12-01");
  EXPECT_EQ(fixed.exit_code(), 1);
  EXPECT_EQ(SuiteResult::from_json(fixed.to_json()).exit_code(), 1) << "gate errors survive the JSON report";
}

TEST(AllowList, EntriesAreScopedToASinkWhenTheyNameOne) {
  const auto allow = list(R"({"allow": [{"rule": "SK-4.1", "sink": "other", "reason": "r"}]})");
  auto s = run_with(RuleStatus::failed);
  apply_allow_list(s, allow, "2026-11-24");
  EXPECT_EQ(s.exit_code(), 1);
  EXPECT_TRUE(s.gate_notes.empty()) << "an entry for another sink is not this run's business";
  for (const char* name : {"acme", "python3 acme.py"}) {
    auto t = run_with(RuleStatus::failed);
    apply_allow_list(t, list(std::string(R"({"allow": [{"rule": "SK-4.1", "reason": "r", "sink": ")") + name + "\"}]}"),
                     "2026-11-24");
    EXPECT_EQ(t.exit_code(), 0) << name;
  }
}

TEST(AllowList, AnEntryThatMatchesNoFailureIsNotedNotFailed) {
  auto s = run_with(RuleStatus::passed);
  apply_allow_list(s, list(R"({"allow": [{"rule": "SK-4.1", "reason": "r"}]})"), "2026-11-24");
  EXPECT_EQ(s.exit_code(), 0);
  ASSERT_EQ(s.gate_notes.size(), 1U);
  EXPECT_NE(s.gate_notes[0].find("matched no failure"), std::string::npos);
}

TEST(AllowList, AllowedWarningsPassStrictMode) {
  auto s = run_with(RuleStatus::warning, RuleLevel::should);
  s.strict = true;
  EXPECT_EQ(s.exit_code(), 1);
  apply_allow_list(s, list(R"({"allow": [{"rule": "SK-4.1", "reason": "r"}]})"), "2026-11-24");
  EXPECT_EQ(s.exit_code(), 0);
}

TEST(AllowList, BadFilesAreRejectedNamingTheEntryAndTheProblem) {
  EXPECT_NE(error_of(R"([])").find("\"allow\" array"), std::string::npos);
  EXPECT_NE(error_of(R"({"allow": [{"rule": "SK-9.9", "reason": "r"}]})").find("unknown rule id 'SK-9.9'"), std::string::npos);
  EXPECT_NE(error_of(R"({"allow": [{"rule": "SK-4.1"}]})").find("\"reason\" is required"), std::string::npos);
  EXPECT_NE(error_of(R"({"allow": [{"rule": "SK-4.1", "reason": "r", "expires": "31/01/2027"}]})").find("YYYY-MM-DD"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"allow": [{"rule": "SK-4.1", "reason": "r", "expires": "2027-13-01"}]})").find("YYYY-MM-DD"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"allow": [{"rule": "SK-4.1", "reason": "r", "until": "2027-01-01"}]})").find("unknown key \"until\""),
            std::string::npos);
  EXPECT_NE(error_of(R"({"allow": [{"rule": "SK-4.1", "reason": 3}]})").find("must be a string"), std::string::npos);
  EXPECT_NE(error_of(R"({"allow": [{}, {"rule": "SK-4.1"}]})").find("allow.json: entry 0"), std::string::npos);
  EXPECT_THROW((void)AllowList::load("/nonexistent/allow.json"), std::runtime_error);
}

TEST(AllowList, TodayIsADate) {
  const auto today = utc_today();
  ASSERT_EQ(today.size(), 10U);
  EXPECT_EQ(today[4], '-');
  EXPECT_EQ(today[7], '-');
}

}  // namespace
