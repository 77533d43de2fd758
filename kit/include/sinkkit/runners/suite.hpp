#pragma once
/// \file
/// `run_suite`: runs the rule catalogue (or some of it) against a sink, each
/// rule in a child process of its own, and collects a `SuiteResult`. Both the
/// GoogleTest registration and the `sinkkit` command are built on it.
///
/// **Example**:
///
///     sinkkit::HarnessSink<MyHarness> sut;
///     sinkkit::SuiteResult r = sinkkit::run_suite(sut, {.check = {.seed = 42}, .progress = &std::cerr});
///     std::cout << r.summary_line() << "\n";  // "24 passed, 1 failed, 3 skipped"
///     return r.exit_code();

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/capabilities.hpp>
#include <sinkkit/rules/check.hpp>
#include <sinkkit/rules/sink_under_test.hpp>

namespace sinkkit {
inline namespace runners {

struct SuiteOptions {
  CheckOptions check;
  /// Rule ids to run; empty runs the whole catalogue.
  std::vector<std::string> rules;
  /// Run each rule in a child process, so a crash or hang fails only that
  /// rule. Turn off only to debug a check in a debugger.
  bool isolate = true;
  std::chrono::milliseconds rule_timeout{std::chrono::minutes(5)};
  /// SHOULD failures fail the suite too.
  bool strict = false;
  /// A line per rule as it finishes (nullptr: quiet).
  std::ostream* progress = nullptr;
  /// Called as each rule starts, with its position (1-based) and the count.
  std::function<void(const Rule&, std::size_t index, std::size_t total)> on_start;
  /// Makes the reproduce command of a rule, e.g. "SINKKIT_SEED=7 ./my_test --gtest_filter=...".
  std::function<std::string(const RuleResult&)> reproduce;
};

/// The outcome of a suite run: run metadata and one result per rule.
struct SuiteResult {
  std::string sink;     ///< the node's name
  std::string harness;  ///< what ran it (a harness or sink command), tells apart runs of one sink
  /// `harness`, or `sink` when there is none: how reports name the run.
  [[nodiscard]] const std::string& label() const noexcept { return harness.empty() ? sink : harness; }
  Capabilities capabilities;
  std::string kit_version;
  std::uint64_t seed = 0;
  int budget = 0;
  int max_workers = 0;
  bool strict = false;
  double seconds = 0;
  std::string host;
  std::string started_at;  ///< UTC, ISO 8601
  std::vector<RuleResult> rules;
  /// Problems of the gate itself that fail the run (an expired allow-list entry).
  std::vector<std::string> gate_errors;
  /// Remarks on the gate that do not fail it (an allow-list entry that matched nothing).
  std::vector<std::string> gate_notes;

  /// Rules with this status (allowed failures and warnings included).
  [[nodiscard]] int count(RuleStatus s) const;
  /// Failures and warnings an allow-list entry accepts.
  [[nodiscard]] int allowed() const;
  /// "N passed, N failed, N skipped" (+ ", N warnings", ", N allowed");
  /// skipped counts untested and not applicable rules; failed and warnings
  /// leave out the allowed ones, which are counted apart.
  [[nodiscard]] std::string summary_line() const;
  /// 0 when every MUST rule (and declared capability) passed or is allowed
  /// and the gate has no errors, 1 otherwise; in strict mode a SHOULD
  /// warning that is not allowed also gives 1.
  [[nodiscard]] int exit_code() const;
  [[nodiscard]] nlohmann::json to_json() const;
  static SuiteResult from_json(const nlohmann::json& j);
};

/// The JSON schema version of `SuiteResult::to_json`.
inline constexpr int kResultSchemaVersion = 1;

/// Runs one rule as the suite would (isolated if asked).
RuleResult run_rule(const Rule& rule, SinkUnderTest& sut, const SuiteOptions& options);

/// Runs the suite. Throws `std::invalid_argument` naming an unknown rule id.
SuiteResult run_suite(SinkUnderTest& sut, const SuiteOptions& options);

/// The kit's version ("0.1.0").
std::string kit_version();

}  // namespace runners
}  // namespace sinkkit
