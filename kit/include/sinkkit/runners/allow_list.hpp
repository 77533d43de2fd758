#pragma once
/// \file
/// `AllowList`: known failures a team has decided to live with for a while.
/// An entry names a rule (and optionally the run it applies to), says why,
/// and may carry an expiry date. A matching failure stays in every report,
/// marked allowed, but no longer fails the run; an expired entry fails the
/// run, so that "for now" does not become "forever".
///
/// The file is JSON (docs/reports.md):
///
///     {"allow": [
///       {"rule": "SK-4.2", "reason": "retry lands in 2.3 (JIRA-12)", "expires": "2027-01-31"},
///       {"rule": "SK-3.5", "sink": "python3 my_sink.py", "reason": "fd count is noisy under pytest"}
///     ]}
///
/// **Example**:
///
///     auto allow = sinkkit::AllowList::load("sinkkit-allow.json");  // throws naming file and entry
///     sinkkit::apply_allow_list(result, allow, sinkkit::utc_today());
///     return result.exit_code();  // allowed failures no longer count; expired entries do

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <sinkkit/runners/suite.hpp>

namespace sinkkit {
inline namespace runners {

struct AllowEntry {
  std::string rule;     ///< a catalogue id, e.g. "SK-4.2"
  std::string sink;     ///< empty: every run; else only the run whose label() or sink name matches
  std::string reason;   ///< required: why this failure is accepted
  std::string expires;  ///< "YYYY-MM-DD" (the last day it holds), or empty for no expiry
};

struct AllowList {
  std::vector<AllowEntry> entries;

  /// Parses the JSON form. `source` names the file in errors. Throws
  /// `std::invalid_argument` naming the entry and what is wrong (unknown
  /// rule id, missing reason, a date that is not YYYY-MM-DD).
  static AllowList parse(const nlohmann::json& j, std::string_view source = "allow-list");
  /// Reads and parses a file; throws `std::runtime_error` naming it.
  static AllowList load(const std::filesystem::path& file);
  /// The same for a file's text; `source` names it in errors.
  static AllowList from_text(std::string_view text, std::string_view source);
};

/// Today's date in UTC, "YYYY-MM-DD".
std::string utc_today();

/// Marks the failures and warnings the list allows (`RuleResult::allowed`),
/// records each expired entry in `result.gate_errors` (which fails the run)
/// and each entry that matched nothing in `result.gate_notes`. `today` is
/// "YYYY-MM-DD"; an entry holds through its expiry day.
void apply_allow_list(SuiteResult& result, const AllowList& list, std::string_view today);

/// Undoes what `apply_allow_list` marked (the rules' marks, its gate errors
/// and notes) and nothing else: a result gated again with another list keeps
/// its other gate errors (an interruption, a shard missing from a merge).
void clear_allow_list_marks(SuiteResult& result);

}  // namespace runners
}  // namespace sinkkit
