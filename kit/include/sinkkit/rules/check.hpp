#pragma once
/// \file
/// `check_rule`: runs one rule of the catalogue against a `SinkUnderTest` and
/// returns its `RuleResult` (results/rule_result.hpp): a status, how many
/// cases ran, and for a failure the shrunk counterexample (trace and
/// verdict) that explains it.
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

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <sinkkit/results/rule_result.hpp>
#include <sinkkit/rules/rule.hpp>
#include <sinkkit/rules/sink_under_test.hpp>

namespace sinkkit {
inline namespace rules {

/// What the checks of one run tell each other of the calls the sink failed,
/// so that one bug is shrunk once. The runner makes one per run, shared by
/// the processes it checks rules in (runners/suite.hpp).
class SharedFindings {
 public:
  virtual ~SharedFindings() = default;
  /// `rule` found a failed call with `signature` (`failure_signature`,
  /// rules/causes.hpp). Returns the rule that found it first in this run,
  /// which shrinks it; nothing when `rule` is the first.
  virtual std::optional<std::string> first_found_by(std::string_view signature, std::string_view rule) = 0;
};

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
  /// Each case in a forked child of its own, from its first call of the sink:
  /// a sink that crashes or hangs ends that child, not the check, so the case
  /// fails with the calls up to the fatal one and is shrunk like any other.
  /// For in-process sinks; the runner turns it on to re-check a rule whose
  /// check died (a sink process over the wire dies alone anyway).
  bool isolate_cases = false;
  /// Isolated cases: a call that has not returned after this long is hung.
  /// Once one has, later calls get 20x the slowest call seen, at least 1 s.
  std::chrono::milliseconds call_timeout{10000};
  /// A shrink stops at this moment, the smallest failing case found so far
  /// standing, so that the check returns before the runner's rule timeout.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  /// A failing case whose failed call another check of the run found first
  /// is not shrunk: it is filed under that check's cause (its message says
  /// so). Null: every check shrinks what it finds.
  SharedFindings* findings = nullptr;
};

/// Runs `rule` against `sut`. Never throws for what the sink does; a kit
/// failure (a read-back that throws, a sink process that cannot start) is a
/// failed result naming it.
RuleResult check_rule(const Rule& rule, SinkUnderTest& sut, const CheckOptions& options);

/// True when what `sut` declares (capabilities, router_branch_safe, stateful
/// partitions, subtype batches) puts it outside the rule's scope:
/// `check_rule` then returns not_applicable without a call of the sink, so a
/// runner needs no process of its own for it.
bool declared_outside(const Rule& rule, SinkUnderTest& sut);

/// True when this kit has a check for the rule id (every catalogue rule does;
/// a test keeps it so).
bool has_check(std::string_view id);

}  // namespace rules
}  // namespace sinkkit
