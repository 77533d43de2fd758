#pragma once
/// \file
/// `check_rule`: runs one rule of the catalogue against a `SinkUnderTest` and
/// returns its `RuleResult`: a status, how many cases ran, and for a failure
/// the shrunk counterexample (trace and verdict) that explains it.
///
/// Each rule is a RapidCheck property over generated workloads and fault
/// plans, run with a fixed budget and seed, so a failure replays exactly from
/// its seed (threaded rules replay the workload, not the thread schedule).
///
/// **Example**:
///
///     #include <sinkkit/rules/catalogue.hpp>
///     #include <sinkkit/runners/harness.hpp>
///     sinkkit::HarnessSink<MyHarness> sut;  // any SinkUnderTest: a harness, or a WireSink
///     sinkkit::RuleResult r = sinkkit::check_rule(sinkkit::rule("SK-2.3"), sut, {.seed = 42, .budget = 100});
///     if (r.status == sinkkit::RuleStatus::failed) std::cerr << r.to_text();

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <sinkkit/judgement/verdict.hpp>
#include <sinkkit/rules/rule.hpp>
#include <sinkkit/rules/sink_under_test.hpp>

namespace sinkkit {
inline namespace rules {

/// How a rule ended for one sink.
enum class RuleStatus {
  passed,          ///< every case held
  failed,          ///< a MUST rule (or a declared capability) was broken
  warning,         ///< a SHOULD rule was broken
  untested,        ///< the rule needs something the harness does not provide
  not_applicable,  ///< the sink does not declare what the rule is about
};

/// "passed", "failed", "warning", "untested", "not_applicable".
std::string_view to_string(RuleStatus s) noexcept;
/// The inverse of `to_string`; throws `std::invalid_argument` naming the text.
RuleStatus rule_status_from(std::string_view text);

/// Budget and seed of a check.
struct CheckOptions {
  std::uint64_t seed = 0;
  /// Generated cases per rule (expensive rules run a tenth of it, at least 3).
  int budget = 100;
  /// Upper bound of generated worker counts.
  int max_workers = 8;
  /// Where fresh targets are made (default: the system's temp directory).
  std::filesystem::path scratch;
  /// Told about every run before it starts ("2 workers x 1 branch x 3 epochs,
  /// ...; faults: ..."), so that a sink that crashes the process can be
  /// reported with the case it crashed on.
  std::function<void(const std::string&)> on_case;
};

/// The result of one rule for one sink.
struct RuleResult {
  std::string id;
  RuleLevel level = RuleLevel::must;
  RuleStatus status = RuleStatus::passed;
  int cases = 0;              ///< generated cases run (shrinking steps not counted)
  std::string message;        ///< why it failed, or why it was not tested
  std::optional<Counts> counts;  ///< the oracle's counts of the counterexample
  /// The shrunk counterexample: trace as text and the verdict, readable.
  std::string counterexample;
  std::optional<nlohmann::json> counterexample_trace;  ///< the same trace, as JSON
  std::uint64_t seed = 0;
  std::string reproduce;      ///< one command that replays this check (set by the runner)
  std::string output;         ///< what the sink printed (bounded), when the runner captured it
  double seconds = 0;
  /// Set when an allow-list entry accepts this failure: its reason (and
  /// `allowed_until`, its expiry, if any). The status stays as it was.
  std::optional<std::string> allowed;
  std::string allowed_until;

  /// True for failed and warning: the rule was broken (allowed or not), and
  /// reports give its details.
  [[nodiscard]] bool broken() const noexcept { return status == RuleStatus::failed || status == RuleStatus::warning; }
  /// True for failed (and warning, in strict mode) that no allow-list entry accepts.
  [[nodiscard]] bool fails(bool strict) const noexcept {
    return !allowed && (status == RuleStatus::failed || (strict && status == RuleStatus::warning));
  }
  /// A readable block: id, statement, status, message, counterexample, reproduce.
  [[nodiscard]] std::string to_text() const;
  [[nodiscard]] nlohmann::json to_json() const;
  static RuleResult from_json(const nlohmann::json& j);
};

/// Runs `rule` against `sut`. Never throws for what the sink does; a kit
/// failure (a read-back that throws, a sink process that cannot start) is a
/// failed result naming it.
RuleResult check_rule(const Rule& rule, SinkUnderTest& sut, const CheckOptions& options);

/// True when this kit has a check for the rule id (every catalogue rule does;
/// a test keeps it so).
bool has_check(std::string_view id);

}  // namespace rules
}  // namespace sinkkit
