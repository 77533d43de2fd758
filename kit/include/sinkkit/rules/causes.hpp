#pragma once
/// \file
/// `find_causes`: the broken rules of a run grouped into root causes. Two
/// rules share a cause when their shrunk counterexamples end in the same
/// sink failure (the same call, empty or repeated, the same error with its
/// numbers and keys masked), or the same oracle finding, or the same crash.
/// Each cause names the rule that checks what went wrong most specifically:
/// the one whose subject is the failing call (an empty batch: SK-2.8; a
/// repeated close: SK-3.1; a build: SK-1.1) or the oracle's finding (lost:
/// SK-2.3; reordered: SK-2.2; unexpected: SK-2.4; duplicated: SK-2.5, or
/// SK-3.1 when the counterexample closes twice), else one that found the
/// fault itself rather than on the way (`RuleResult::incidental`), else a
/// rule about something narrower than loss, order or duplicates in general,
/// else the smaller counterexample, else the catalogue's order. SK-2.11,
/// which compares two runs of the sink, shows that a bug exists, not which:
/// with other rules broken, it joins the first cause.
///
/// **Example**:
///
///     std::vector<sinkkit::RuleResult> rules(1);  // run_suite fills SuiteResult::causes itself
///     rules[0].id = "SK-2.8";
///     rules[0].status = sinkkit::RuleStatus::failed;
///     for (const sinkkit::Cause& c : sinkkit::find_causes(rules)) std::cout << c.to_text() << "\n";

#include <optional>
#include <string>
#include <vector>

#include <sinkkit/results/cause.hpp>
#include <sinkkit/results/rule_result.hpp>

namespace sinkkit {
inline namespace rules {

/// The causes behind the failed and warning rules of `rules` (in catalogue
/// order), most telling first: by the catalogue order of the rule each names.
std::vector<Cause> find_causes(const std::vector<RuleResult>& rules);

/// The first call of `trace` that the sink failed on its own, as the text
/// two runs of one bug share: the call's kind and shape (an empty batch, a
/// repeated close), its error class, and its message's first line with the
/// numbers masked (a hang: the call hanging, whatever its limit). Nothing
/// when the sink failed no call. Causes group such failures by it, and a
/// run shrinks each once (`SharedFindings`).
std::optional<std::string> failure_signature(const Trace& trace);

}  // namespace rules

namespace detail {
/// `text` with every number masked ("#"), so that two runs of one bug
/// compare equal: "lost 4 of 9; first: w1.b0.e1.s0" -> "lost # of #; first: w#.b#.e#.s#".
std::string mask_numbers(const std::string& text);
}  // namespace detail

}  // namespace sinkkit
