#pragma once
/// \file
/// One line registers the whole conformance suite for a harness with
/// GoogleTest: one test per rule, named `Conformance/<Harness>.SK_2_3_...`.
/// A failing rule prints its statement, the shrunk counterexample trace, the
/// oracle's counts and a command that replays it. A SHOULD rule the sink
/// breaks prints a warning and is skipped (CTest has no warning state: its
/// "***Skipped" line and "did not run" summary name the rule), or fails
/// under SINKKIT_STRICT=1; rules the sink does not declare or the harness
/// cannot test are skipped too, with the reason. A passed rule's line says
/// how it was tested ("SK-4.1 passed (100 cases; storage faults by file
/// system; 62 of 100 cases reached one)").
///
/// Environment: SINKKIT_SEED (default: random, printed), SINKKIT_BUDGET
/// (cases per rule, default 100), SINKKIT_MAX_WORKERS (default 8),
/// SINKKIT_STRICT=1, SINKKIT_NO_FORK=1 (debugging), SINKKIT_RULE_TIMEOUT_S
/// (default 300), SINKKIT_REPORT_DIR (writes <dir>/<Harness>.json at exit),
/// SINKKIT_JOBS (rules checked at once, default: the cores; the first test of
/// a suite checks every selected rule of it, the others report their result),
/// SINKKIT_SHARD=I/N (only shard I's rules; the others are skipped, see
/// results/shard.hpp; with one SINKKIT_SEED, N shards check what one run does).
/// SINKKIT_SOAK=30m (each rule's test checks its rule again and again, round
/// r at seed SINKKIT_SEED + r, until the time is up or a round breaks it:
/// under CTest that is per test; runners/soak.hpp).
///
/// Not in runners/all.hpp (umbrella: excluded), since it needs GoogleTest.
///
/// **Example** (link `sinkkit::gtest` and `GTest::gtest_main`):
///
///     #include <sinkkit/runners/gtest.hpp>
///     // struct MyHarness: see runners/harness.hpp
///     SINKKIT_CONFORMANCE_SUITE(MyHarness);

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/runners/harness.hpp>
#include <sinkkit/runners/soak.hpp>
#include <sinkkit/runners/suite.hpp>

namespace sinkkit::detail {

/// Suite options from the SINKKIT_* environment; throws std::invalid_argument
/// naming a variable with a bad value.
SuiteOptions suite_options_from_env();

/// SINKKIT_SOAK (a length: "30m", "2h"; see runners/soak.hpp), or zero when
/// unset; throws std::invalid_argument naming a bad value.
std::chrono::seconds soak_length_from_env();

/// Records a rule's result for the suite's JSON report and reports it to
/// GoogleTest (failure, warning or skip).
/// Failures point at `file`:`line`, where the suite was registered.
void report_to_gtest(const std::string& suite, const std::string& sink, const Capabilities& caps,
                     const SuiteOptions& options, const RuleResult& result, const char* file, int line);

/// "SK_2_3_no_acknowledged_item_lost"
std::string test_name(const Rule& rule);

/// `rule` and the rules of `Conformance/<suite>` this program runs and has
/// not reported yet, in catalogue order.
std::vector<const Rule*> selected_rules_from(const std::string& suite, const Rule& rule);
/// Keeps results checked ahead (SINKKIT_JOBS) until their tests report them.
void keep_checked_ahead(const std::string& suite, std::vector<RuleResult> results);
/// The result of `rule` checked ahead, taken out of the store; none if not.
std::optional<RuleResult> take_checked_ahead(const std::string& suite, const Rule& rule);

template <Harness H>
class ConformanceTest : public ::testing::Test {
 public:
  ConformanceTest(std::string suite, const Rule& rule, const char* file, int line)
      : suite_(std::move(suite)), rule_(rule), file_(file), line_(line) {}
  void TestBody() override {
    SuiteOptions options;
    try {
      options = suite_options_from_env();
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    // SINKKIT_SHARD=I/N: another shard's rule is skipped, saying whose it is.
    if (!in_shard(rule_, options.shard)) {
      GTEST_SKIP() << "not in shard " << to_string(options.shard) << " (SINKKIT_SHARD): rule k of the catalogue is "
                   << "shard k mod " << options.shard.count << " + 1's";
    }
    HarnessSink<H> sut;
    options.reproduce = [suite = suite_](const RuleResult& r) {
      const Rule* rule = find_rule(r.id);
      return "SINKKIT_SEED=" + std::to_string(r.seed) + " " + ::testing::internal::GetArgvs().front() +
             " --gtest_filter='Conformance/" + suite + "." + (rule ? test_name(*rule) : r.id) + "'";
    };
    std::chrono::seconds soak{0};
    try {
      soak = soak_length_from_env();
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    // SINKKIT_SOAK: this rule in rounds at fresh seeds until the time is up.
    auto result = soak.count() > 0 ? std::optional(soak_rule(rule_, sut, options, soak)) : take_checked_ahead(suite_, rule_);
    if (!result) {
      if (options.jobs > 1 && options.isolate) {
        // This suite's selected rules, side by side; each test reports its own.
        keep_checked_ahead(suite_, run_rules(rules_of_shard(selected_rules_from(suite_, rule_), options.shard), sut, options));
        result = take_checked_ahead(suite_, rule_);
      } else {
        result = run_rule(rule_, sut, options);
      }
    }
    report_to_gtest(suite_, sut.name(), sut.capabilities(), options, *result, file_, line_);
  }

 private:
  std::string suite_;
  const Rule& rule_;
  const char* file_;
  int line_;
};

template <Harness H>
bool register_conformance_suite(const char* suite, const char* file, int line) {
  for (const Rule& rule : catalogue()) {
    ::testing::RegisterTest(("Conformance/" + std::string(suite)).c_str(), test_name(rule).c_str(), nullptr,
                            std::string(rule.id).c_str(), file, line,
                            [suite = std::string(suite), &rule, file, line]() -> ::testing::Test* {
                              return new ConformanceTest<H>(suite, rule, file, line);
                            });
  }
  return true;
}

// The harness checked first, requirement by requirement (check_harness), so
// that a mistake is one error naming the member, not a page of concept
// errors from everything that uses it.
template <class H>
bool register_checked_conformance_suite(const char* suite, const char* file, int line) {
  if constexpr (check_harness<H>()) {
    return register_conformance_suite<H>(suite, file, line);
  } else {
    return false;
  }
}

}  // namespace sinkkit::detail

#define SINKKIT_DETAIL_CAT2(a, b) a##b
#define SINKKIT_DETAIL_CAT(a, b) SINKKIT_DETAIL_CAT2(a, b)

/// Registers one GoogleTest test per catalogue rule for `HarnessType`.
#define SINKKIT_CONFORMANCE_SUITE(HarnessType)                                                         \
  [[maybe_unused]] static const bool SINKKIT_DETAIL_CAT(sinkkit_conformance_suite_, __LINE__) =        \
      ::sinkkit::detail::register_checked_conformance_suite<HarnessType>(#HarnessType, __FILE__, __LINE__)
