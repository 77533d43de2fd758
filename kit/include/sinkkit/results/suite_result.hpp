#pragma once
/// \file
/// `SuiteResult`: the outcome of a suite run, its metadata and one
/// `RuleResult` per rule, with the gate's verdict (`exit_code`) and its one
/// JSON form (schema `kResultSchemaVersion`). `run_suite` makes it; the
/// GoogleTest runner and the `sinkkit` command write it (results/result_file.hpp);
/// every report reads it.
///
/// **Example**:
///
///     sinkkit::SuiteResult run{.sink = "ledger", .seed = 7};
///     run.rules.push_back({.id = "SK-2.3", .status = sinkkit::RuleStatus::failed, .message = "lost 2"});
///     std::cout << run.summary_line() << "\n";  // "0 passed, 1 failed, 0 skipped"
///     return run.exit_code();                   // 1

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <sinkkit/protocol/capabilities.hpp>
#include <sinkkit/results/cause.hpp>
#include <sinkkit/results/rule_result.hpp>
#include <sinkkit/results/shard.hpp>

namespace sinkkit {
inline namespace results {

/// How a run stopped by a signal says so: the message of each rule it did
/// not judge starts with the first, its gate error with the second.
inline constexpr std::string_view kNotRunPrefix = "not run: the run was interrupted by ";
inline constexpr std::string_view kInterruptedPrefix = "the run was interrupted by ";

/// Whether `r` is a rule an interrupted run did not judge.
[[nodiscard]] inline bool is_not_run(const RuleResult& r) noexcept {
  return r.status == RuleStatus::untested && r.message.starts_with(kNotRunPrefix);
}

/// The JSON schema version of `SuiteResult::to_json`. 2: a rule's
/// counterexample is an object (trace and verdict) and a rule carries its
/// title and statement, and the run's `harness` is its `subject`. `from_json`
/// reads 1 too.
inline constexpr int kResultSchemaVersion = 2;

/// The outcome of a suite run: run metadata and one result per rule.
struct SuiteResult {
  std::string sink;     ///< the node's name
  /// What was tested: the harness type, or the sink's command line; tells
  /// apart runs of one sink.
  std::string subject;
  Capabilities capabilities;
  std::string kit_version;
  std::uint64_t seed = 0;
  /// The part of the run this is (`--shard 2/3`); whole for a run of all
  /// its rules, and for the merge of its shards.
  Shard shard;
  int budget = 0;
  int max_workers = 0;
  bool strict = false;
  double seconds = 0;
  std::string host;
  std::string started_at;  ///< UTC, ISO 8601
  std::vector<RuleResult> rules;
  /// The bugs behind the broken rules, one each, most telling first
  /// (rules/causes.hpp finds them); empty when nothing broke.
  std::vector<Cause> causes;
  /// Problems of the gate itself that fail the run (an expired allow-list entry).
  std::vector<std::string> gate_errors;
  /// Remarks on the gate that do not fail it (an allow-list entry that matched nothing).
  std::vector<std::string> gate_notes;
  /// Why the run could not be made at all (a sink that would not start,
  /// with what it wrote on stderr); the run then has no rules.
  std::string infrastructure_error;
  /// The signal that interrupted the run ("SIGTERM"), or empty: the rules
  /// judged before it are kept, the others are `untested` ("not run").
  std::string interrupted;

  /// `subject`, or `sink` when there is none: how reports name the run.
  [[nodiscard]] const std::string& label() const noexcept { return subject.empty() ? sink : subject; }
  /// The result of rule `id`, or nullptr when the run has none.
  [[nodiscard]] const RuleResult* find(std::string_view id) const noexcept;
  [[nodiscard]] RuleResult* find(std::string_view id) noexcept;
  /// Rules with this status (allowed failures and warnings included).
  [[nodiscard]] int count(RuleStatus s) const;
  /// Failures and warnings an allow-list entry accepts.
  [[nodiscard]] int allowed() const;
  /// "N passed, N failed, N skipped (N not applicable, N untested)" (the
  /// parenthesis only with some skipped; + ", N warnings", ", N allowed",
  /// ", interrupted by SIGTERM");
  /// skipped counts untested and not applicable rules; failed and warnings
  /// leave out the allowed ones, which are counted apart.
  [[nodiscard]] std::string summary_line() const;
  /// 0 when every MUST rule (and declared capability) passed or is allowed
  /// and the gate has no errors, 1 otherwise; in strict mode a SHOULD
  /// warning that is not allowed also gives 1; 2 with an infrastructure error
  /// or when the run was interrupted (it never passes).
  [[nodiscard]] int exit_code() const;
  [[nodiscard]] nlohmann::json to_json() const;
  /// Throws `std::invalid_argument` naming an unknown schema version or what
  /// is missing.
  static SuiteResult from_json(const nlohmann::json& j);
};

/// Orders rule ids as the catalogue does ("SK-2.10" after "SK-2.9"); ids
/// that are not of the form SK-<group>.<n> come last, in text order.
[[nodiscard]] bool rule_id_less(std::string_view a, std::string_view b) noexcept;

/// `fresh` with the rules of `saved` it does not have (a rule in both is
/// fresh's), rules in catalogue order, gate errors united and seconds added:
/// how one report collects rules that ran in separate processes.
[[nodiscard]] SuiteResult merge_results(SuiteResult fresh, const SuiteResult& saved);

/// The results of shards of one run as one result: rules of all (in
/// catalogue order), gate errors and notes of all, seconds summed, the first
/// interruption or infrastructure error kept (the merge then does not
/// pass). A shard of the run missing from `parts` is a gate error (the merge
/// fails: a CI job that never wrote its result must not pass the gate); the
/// merged result's `shard` is whole. Results without a shard (runs of
/// disjoint rules) merge too, as do parts run at different seeds or budgets
/// (a note says so: not one run's cases). `names` name the parts in errors
/// (the files).
/// Causes are not found again here (rules/causes.hpp does: `find_causes`).
/// Throws `std::invalid_argument` when the parts cannot be one run's: two
/// sinks or subjects, one rule in two parts, one shard twice, shard counts
/// that differ, or no part.
SuiteResult merge_shards(const std::vector<SuiteResult>& parts, const std::vector<std::string>& names);

}  // namespace results
}  // namespace sinkkit
