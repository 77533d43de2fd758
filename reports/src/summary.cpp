#include <sinkkit/reports/summary.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include <sinkkit/rules/catalogue.hpp>

namespace sinkkit::reports {

namespace {
std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}
}  // namespace

std::string render_summary(const std::vector<SuiteResult>& runs) {
  // Rows: every rule any run checked, in catalogue order.
  std::set<std::string> checked;
  for (const auto& run : runs)
    for (const auto& r : run.rules) checked.insert(r.id);
  std::vector<std::string> ids;
  for (const auto& rule : catalogue())
    if (checked.contains(std::string(rule.id))) ids.emplace_back(rule.id);
  for (const auto& id : checked)
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);  // ids of a newer kit

  std::vector<std::size_t> widths;
  for (const auto& run : runs) widths.push_back(std::max<std::size_t>(run.label().size(), 14) + 2);
  std::string out = pad("rule", 9) + pad("level", 12);
  for (std::size_t i = 0; i < runs.size(); ++i) out += pad(runs[i].label(), widths[i]);
  out += "\n";
  for (const auto& id : ids) {
    const Rule* rule = find_rule(id);
    out += pad(id, 9) + pad(rule ? std::string(to_string(rule->level)) : "?", 12);
    for (std::size_t i = 0; i < runs.size(); ++i) {
      std::string cell = "-";
      for (const auto& r : runs[i].rules)
        if (r.id == id) cell = std::string(to_string(r.status));
      out += pad(cell, widths[i]);
    }
    out += "\n";
  }
  for (const auto& run : runs) {
    for (const auto& r : run.rules) {
      if (r.status != RuleStatus::failed && r.status != RuleStatus::warning) continue;
      out += "\n--- " + run.label() + ": " + r.to_text();
    }
  }
  out += "\n";
  for (const auto& run : runs) {
    out += run.label() + ": " + run.summary_line() + (run.exit_code() == 0 ? " (conformant)" : " (NOT conformant)") +
           "; seed " + std::to_string(run.seed) + ", budget " + std::to_string(run.budget) + "\n";
  }
  return out;
}

int combined_exit_code(const std::vector<SuiteResult>& runs) {
  for (const auto& run : runs)
    if (run.exit_code() != 0) return 1;
  return 0;
}

}  // namespace sinkkit::reports
