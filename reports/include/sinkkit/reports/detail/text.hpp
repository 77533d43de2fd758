#pragma once
// Text helpers the writers share: escaping for XML/HTML and Markdown, UTF-8
// repair, rule ordering. Not API.

#include <string>
#include <string_view>
#include <vector>

#include <sinkkit/results/suite_result.hpp>

namespace sinkkit::reports::detail {

/// Replaces bytes that are not valid UTF-8 with U+FFFD, and drops control
/// characters XML 1.0 forbids (all below 0x20 but tab, newline, return):
/// sink output is arbitrary bytes, a report must stay well-formed.
std::string valid_utf8(std::string_view text);

/// `valid_utf8`, then & < > " ' as entities: safe in XML/HTML text and in
/// quoted attributes.
std::string xml_escape(std::string_view text);

/// For one Markdown table cell: no newlines, `|` escaped, HTML special
/// characters as entities (GitHub renders inline HTML).
std::string markdown_cell(std::string_view text);

/// A fenced code block that `text` cannot close early (the fence is longer
/// than any run of backticks inside).
std::string markdown_code_block(std::string_view text, std::string_view info = "text");

/// Every rule id any run checked, in catalogue order (`rule_id_less`).
std::vector<std::string> rule_ids(const std::vector<SuiteResult>& runs);

/// The first run's result for rule `id` (for its title and level), or null.
const RuleResult* first_result(const std::vector<SuiteResult>& runs, std::string_view id);

/// "passed", "FAILED", "warning", "allowed failure", "allowed warning", "untested", "n/a".
std::string status_label(const RuleResult& r);

/// "12.3 s", "850 ms".
std::string format_seconds(double seconds);

/// "delivery=exactly_once, durability=on_return, ...".
std::string capabilities_line(const Capabilities& caps);

/// "conformant" or "NOT conformant".
std::string verdict_label(const SuiteResult& run);

}  // namespace sinkkit::reports::detail
