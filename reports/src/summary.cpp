#include <sinkkit/reports/summary.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include <sinkkit/reports/detail/text.hpp>

namespace sinkkit::reports {

namespace {
std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}
}  // namespace

std::string render_summary(const std::vector<SuiteResult>& runs) {
  const auto ids = detail::rule_ids(runs);
  std::vector<std::size_t> widths;
  for (const auto& run : runs) widths.push_back(std::max<std::size_t>(run.label().size(), 14) + 2);
  // The causes lead: one bug that broke many rules reads as one.
  std::string out;
  for (const auto& run : runs) {
    if (run.causes.empty()) continue;
    out += run.label() + ": " + causes_heading(run.causes.size()) + "\n";
    for (std::size_t i = 0; i < run.causes.size(); ++i) {
      out += "  " + std::to_string(i + 1) + ". " + run.causes[i].to_text() + "\n";
    }
    out += "\n";
  }
  out += pad("rule", 9) + pad("level", 12);
  for (std::size_t i = 0; i < runs.size(); ++i) out += pad(runs[i].label(), widths[i]);
  out += "\n";
  for (const auto& id : ids) {
    const RuleResult* first = detail::first_result(runs, id);
    out += pad(id, 9) + pad(first ? std::string(to_string(first->level)) : "?", 12);
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const RuleResult* r = runs[i].find(id);
      const std::string cell = r != nullptr ? detail::status_label(*r) : "-";
      out += pad(cell, widths[i]);
    }
    out += "\n";
  }
  for (const auto& run : runs) {
    for (const auto& r : run.rules) {
      if (!r.broken()) continue;
      out += "\n--- " + run.label() + ": " + r.to_text();
    }
  }
  out += "\n";
  for (const auto& run : runs) {
    for (const auto& e : run.gate_errors) out += run.label() + ": " + e + "\n";
    for (const auto& n : run.gate_notes) out += run.label() + ": note: " + n + "\n";
    out += run.label() + ": " + run.summary_line() + " (" + detail::verdict_label(run) + ")" +
           "; seed " + std::to_string(run.seed) + ", budget " + std::to_string(run.budget) + "\n";
  }
  return detail::valid_utf8(out);  // sink text may hold any bytes; a report file is UTF-8
}

int combined_exit_code(const std::vector<SuiteResult>& runs) {
  for (const auto& run : runs)
    if (run.exit_code() != 0) return 1;
  return 0;
}

}  // namespace sinkkit::reports
