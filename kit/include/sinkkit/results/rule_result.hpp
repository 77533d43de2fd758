#pragma once
/// \file
/// `RuleResult`: how one rule ended for one sink. The results layer is what
/// the rules and runners produce and every writer reads: reports depend on it
/// alone, and it compiles no simulator (a `Trace` and a `Verdict` are data).
///
/// A check fills what it knows (status, cases, message, seed, the shrunk
/// counterexample, and the rule's title and statement, so that a writer
/// needs no catalogue); the runner that ran it adds `reproduce`, `output`
/// and the allow-list marks.
///
/// **Example**:
///
///     sinkkit::RuleResult r{.id = "SK-2.3", .title = "no_loss", .status = sinkkit::RuleStatus::failed,
///                           .message = "2 acknowledged items lost"};
///     r.reproduce = "sinkkit replay --rule SK-2.3 --seed 7 -- ./my_sink";  // added by the runner
///     nlohmann::json j = r.to_json();
///     sinkkit::RuleResult back = sinkkit::RuleResult::from_json(j);
///     std::cout << back.to_text();

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <sinkkit/judgement/verdict.hpp>
#include <sinkkit/simulation/trace.hpp>

namespace sinkkit {
inline namespace results {

/// How binding a rule is, as in RFC 2119 plus the capability tier of the
/// Reactive Streams TCK: a capability rule binds only sinks that declare it.
enum class RuleLevel {
  must,        ///< a failure fails the suite
  should,      ///< a failure is a warning (fails only in strict mode)
  capability,  ///< binds when the sink declares the capability; then like MUST
};

/// "MUST", "SHOULD", "CAPABILITY".
std::string_view to_string(RuleLevel level) noexcept;
/// The inverse of `to_string`; throws `std::invalid_argument` naming the text.
RuleLevel rule_level_from(std::string_view text);

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

/// The shrunk case that broke a rule, kept once, as data: what ran (the
/// trace) and what the oracle found in the read-back (the verdict; none when
/// the failure is not the oracle's, e.g. a call that threw or a crash).
/// Writers render it: as text, as a table of counts, as a timeline.
struct Counterexample {
  Trace trace;
  std::optional<Verdict> verdict;

  /// The trace (the first and last of at most `max_events` calls) then the
  /// verdict: what a console shows.
  [[nodiscard]] std::string to_text(std::size_t max_events = 120) const;
  [[nodiscard]] nlohmann::json to_json() const;
  /// Throws `std::invalid_argument` naming what is malformed.
  static Counterexample from_json(const nlohmann::json& j);
};

/// Duplicate copies a sink stored over one rule's cases, and the faults of
/// the runs that stored them: what at-least-once delivery cost in them (an
/// exactly-once sink's duplicates also fail SK-2.5).
struct DuplicateFigure {
  std::int64_t items = 0;  ///< extra copies, summed over the runs (the oracle's count)
  int cases = 0;           ///< cases with any
  /// What went wrong in those runs, e.g. "replies dropped", "a failed write",
  /// "repeated closes", "no fault"; in the order first seen.
  std::vector<std::string> after;

  /// "160 duplicates in 7 of 100 cases, after replies dropped".
  [[nodiscard]] std::string to_text(int of_cases) const;
  friend bool operator==(const DuplicateFigure&, const DuplicateFigure&) = default;
};

/// The result of one rule for one sink.
struct RuleResult {
  std::string id;
  std::string title;      ///< the rule's title, from the catalogue
  std::string statement;  ///< the rule's statement, from the catalogue
  RuleLevel level = RuleLevel::must;
  RuleStatus status = RuleStatus::passed;
  int cases = 0;          ///< generated cases run (shrinking steps not counted)
  std::string message;    ///< why it failed, or why it was not tested
  std::optional<Counterexample> counterexample;
  /// The rule broke on something that is not what it checks: a call the
  /// sink failed on its own in one of its cases, or a crash of its check.
  /// Root causes (rules/causes.hpp) name another rule first when one checks it.
  bool incidental = false;
  /// Duplicates in the rule's cases, when there were any.
  std::optional<DuplicateFigure> duplicates;
  std::uint64_t seed = 0;
  double seconds = 0;

  // Added by the runner, never by the check:
  std::string reproduce;  ///< one command that replays this check
  std::string output;     ///< what the sink printed (bounded), when the runner captured it
  /// Set when an allow-list entry accepts this failure: its reason (and
  /// `allowed_until`, its expiry, if any). The status stays as it was.
  std::optional<std::string> allowed;
  std::string allowed_until;

  /// The oracle's counts of the counterexample, when the oracle judged it.
  [[nodiscard]] const Counts* counts() const noexcept {
    return counterexample && counterexample->verdict ? &counterexample->verdict->total : nullptr;
  }
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
  /// Reads what `to_json` wrote (and the schema 1 shape, whose counterexample
  /// was text beside a trace). Throws naming what is missing or malformed.
  static RuleResult from_json(const nlohmann::json& j);
};

}  // namespace results
}  // namespace sinkkit
