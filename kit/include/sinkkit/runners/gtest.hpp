#pragma once
/// \file
/// One line registers the whole conformance suite for a harness with
/// GoogleTest: one test per rule, named `Conformance/<Harness>.SK_2_3_...`.
/// A failing rule prints its statement, the shrunk counterexample trace, the
/// oracle's counts and a command that replays it. SHOULD failures print a
/// warning and pass (unless SINKKIT_STRICT=1); rules the sink does not declare
/// or the harness cannot test are skipped, with the reason.
///
/// Environment: SINKKIT_SEED (default: random, printed), SINKKIT_BUDGET
/// (cases per rule, default 100), SINKKIT_MAX_WORKERS (default 8),
/// SINKKIT_STRICT=1, SINKKIT_NO_FORK=1 (debugging), SINKKIT_RULE_TIMEOUT_S
/// (default 300), SINKKIT_REPORT_DIR (writes <dir>/<Harness>.json at exit).
///
/// Not in runners/all.hpp (umbrella: excluded), since it needs GoogleTest.
///
/// **Example** (link `sinkkit::gtest` and `GTest::gtest_main`):
///
///     #include <sinkkit/runners/gtest.hpp>
///     // struct MyHarness: see runners/harness.hpp
///     SINKKIT_CONFORMANCE_SUITE(MyHarness);

#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/runners/harness.hpp>
#include <sinkkit/runners/suite.hpp>

namespace sinkkit::detail {

/// Suite options from the SINKKIT_* environment; throws std::invalid_argument
/// naming a variable with a bad value.
SuiteOptions suite_options_from_env();

/// Records a rule's result for the suite's JSON report and reports it to
/// GoogleTest (failure, warning or skip).
/// Failures point at `file`:`line`, where the suite was registered.
void report_to_gtest(const std::string& suite, const std::string& sink, const Capabilities& caps,
                     const SuiteOptions& options, const RuleResult& result, const char* file, int line);

/// "SK_2_3_no_acknowledged_item_lost"
std::string test_name(const Rule& rule);

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
    HarnessSink<H> sut;
    const std::string filter = "Conformance/" + suite_ + "." + test_name(rule_);
    options.reproduce = [filter](const RuleResult& r) {
      return "SINKKIT_SEED=" + std::to_string(r.seed) + " " + ::testing::internal::GetArgvs().front() +
             " --gtest_filter='" + filter + "'";
    };
    report_to_gtest(suite_, sut.name(), sut.capabilities(), options, run_rule(rule_, sut, options), file_, line_);
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

}  // namespace sinkkit::detail

#define SINKKIT_DETAIL_CAT2(a, b) a##b
#define SINKKIT_DETAIL_CAT(a, b) SINKKIT_DETAIL_CAT2(a, b)

/// Registers one GoogleTest test per catalogue rule for `HarnessType`.
#define SINKKIT_CONFORMANCE_SUITE(HarnessType)                                                         \
  [[maybe_unused]] static const bool SINKKIT_DETAIL_CAT(sinkkit_conformance_suite_, __LINE__) =        \
      ::sinkkit::detail::register_conformance_suite<HarnessType>(#HarnessType, __FILE__, __LINE__)
