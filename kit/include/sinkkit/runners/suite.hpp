#pragma once
/// \file
/// `run_suite`: runs the rule catalogue (or some of it) against a sink, each
/// rule in a child process of its own, and collects a `SuiteResult`. The
/// checks of one run share the failed calls they find (`SharedFindings`,
/// rules/check.hpp): each is shrunk by the first rule that found it. Both the
/// GoogleTest registration and the `sinkkit` command are built on it. (The
/// result types are in results/suite_result.hpp.)
///
/// **Example**:
///
///     sinkkit::HarnessSink<MyHarness> sut;
///     sinkkit::SuiteResult r = sinkkit::run_suite(sut, {.check = {.seed = 42}, .jobs = 2, .progress = &std::cerr});
///     std::cout << r.summary_line() << "\n";  // "24 passed, 1 failed, 3 skipped (2 not applicable, 1 untested)"
///     return r.exit_code();

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sinkkit/protocol/capabilities.hpp>
#include <sinkkit/results/suite_result.hpp>
#include <sinkkit/rules/check.hpp>
#include <sinkkit/rules/sink_under_test.hpp>

namespace sinkkit {
inline namespace runners {

struct SuiteOptions {
  CheckOptions check;
  /// Rule ids to run; empty runs the whole catalogue.
  std::vector<std::string> rules;
  /// The part of them this run checks (`--shard 2/3`): N runs at one seed,
  /// one per shard, check what one run would (results/shard.hpp).
  Shard shard;
  /// Run each rule in a child process, so a crash or hang fails only that
  /// rule. Turn off only to debug a check in a debugger.
  bool isolate = true;
  /// Rules checked at once, each in its own child (isolated runs only); a
  /// rule that needs the cores (`Rule::needs_the_cores`: SK-2.10) is checked
  /// with no other beside it.
  /// Results and progress lines come in the list's order, each rule with its
  /// own seed, as one at a time. (What depends on timing: a sink call that
  /// hangs shortens the call limits of the rules running after it, and which
  /// of two rules that find one failed call at once shrinks it.)
  int jobs = 1;
  std::chrono::milliseconds rule_timeout{std::chrono::minutes(5)};
  /// No rule starts after this time (a soak's end, runners/soak.hpp): the
  /// rules not started are untested, with `detail::kNotStartedInTime`.
  std::optional<std::chrono::steady_clock::time_point> start_no_rule_after;
  /// SHOULD failures fail the suite too.
  bool strict = false;
  /// A line per rule as it finishes (nullptr: quiet).
  std::ostream* progress = nullptr;
  /// Called as each rule starts, with its position (1-based) and the count.
  std::function<void(const Rule&, std::size_t index, std::size_t total)> on_start;
  /// Makes the reproduce command of a rule, e.g. "SINKKIT_SEED=7 ./my_test --gtest_filter=...".
  std::function<std::string(const RuleResult&)> reproduce;
};

/// Runs one rule as the suite would (isolated if asked).
RuleResult run_rule(const Rule& rule, SinkUnderTest& sut, const SuiteOptions& options);

/// Runs `rules` as the suite would, `options.jobs` at a time, and returns
/// their results in the list's order (progress lines too).
std::vector<RuleResult> run_rules(const std::vector<const Rule*>& rules, SinkUnderTest& sut, const SuiteOptions& options);

/// Runs the suite. Throws `std::invalid_argument` naming an unknown rule id.
SuiteResult run_suite(SinkUnderTest& sut, const SuiteOptions& options);

/// The cores this process may run on (its CPU affinity): the default of
/// `SuiteOptions::jobs` for `sinkkit run` and the GoogleTest runner.
int usable_cores();

/// The kit's version ("0.1.0").
std::string kit_version();

/// This machine's name, as a result's `host` says it ("unknown" if none).
std::string host_name();

}  // namespace runners

namespace detail {
/// The message of a rule not started because `start_no_rule_after` had passed.
inline constexpr std::string_view kNotStartedInTime = "not started: the time was up";
/// "not run: the run was interrupted by SIGTERM" (+ `detail`), the message
/// of every rule an interrupted run did not judge.
std::string not_run_message(int signal, const std::string& detail = "");
/// A rule an interrupted run did not judge: untested, with `not_run_message`.
RuleResult not_run_result(const Rule& rule, std::uint64_t seed, const std::string& message);
/// Marks `result` interrupted by `signal`: the field and the gate error
/// that counts the rules not run.
void mark_interrupted(SuiteResult& result, int signal);
}  // namespace detail

}  // namespace sinkkit
