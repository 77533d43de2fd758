#include <sinkkit/reports/markdown.hpp>

#include <nlohmann/json.hpp>
#include <sinkkit/reports/detail/text.hpp>

namespace sinkkit::reports {

namespace {

using detail::markdown_cell;

std::string icon(const RuleResult& r) {
  if (r.allowed) return "🟡";
  switch (r.status) {
    case RuleStatus::passed: return "✅";
    case RuleStatus::failed: return "❌";
    case RuleStatus::warning: return "⚠️";
    case RuleStatus::untested:
    case RuleStatus::not_applicable: return "➖";
  }
  return "";
}

std::string counts_line(const Counts& c) {
  return "attempted " + std::to_string(c.attempted) + ", acknowledged " + std::to_string(c.acknowledged) + ", durable " +
         std::to_string(c.durable) + ", **lost " + std::to_string(c.lost) + "**, **duplicated " +
         std::to_string(c.duplicated) + "**, **unexpected " + std::to_string(c.unexpected) + "**, reordered " +
         std::to_string(c.reordered) + ", gaps " + std::to_string(c.gaps);
}

void failure_details(std::string& out, const RuleResult& r) {
  out += "#### " + icon(r) + " " + markdown_cell(r.id) + " " + markdown_cell(r.title) + " (" +
         std::string(to_string(r.level)) + ", " + detail::status_label(r) + ")\n\n";
  if (!r.statement.empty()) out += "> " + markdown_cell(r.statement) + "\n\n";
  if (r.allowed) {
    out += "Allowed by the allow-list: " + markdown_cell(*r.allowed) +
           (r.allowed_until.empty() ? "" : " (until " + r.allowed_until + ")") + ".\n\n";
  }
  if (!r.message.empty()) out += markdown_cell(r.message) + "\n\n";
  out += "After " + std::to_string(r.cases) + " cases, seed " + std::to_string(r.seed) + ".";
  if (const Counts* c = r.counts()) out += " Oracle: " + counts_line(*c) + ".";
  out += "\n\n";
  if (r.counterexample) {
    out += "<details><summary>Counterexample (shrunk)</summary>\n\n" +
           detail::markdown_code_block(r.counterexample->to_text()) +
           "\n</details>\n\n";
  }
  if (!r.output.empty()) {
    out += "<details><summary>Sink output</summary>\n\n" + detail::markdown_code_block(r.output) + "\n</details>\n\n";
  }
  if (!r.reproduce.empty()) out += "Reproduce:\n\n" + detail::markdown_code_block(r.reproduce, "sh") + "\n";
}

void run_section(std::string& out, const SuiteResult& run) {
  out += "## " + std::string(run.exit_code() == 0 ? "✅ " : "❌ ") + markdown_cell(run.label()) + ": " +
         detail::verdict_label(run) + "\n\n";
  out += "**" + run.summary_line() + "**" + (run.strict ? " (strict: SHOULD failures fail)" : "") + "\n\n";
  out += "Sink **" + markdown_cell(run.sink) + "** · kit " + markdown_cell(run.kit_version) + " · seed " +
         std::to_string(run.seed) + " · budget " + std::to_string(run.budget) + " · workers up to " +
         std::to_string(run.max_workers) + " · " + detail::format_seconds(run.seconds) +
         (run.host.empty() ? "" : " · host " + markdown_cell(run.host)) +
         (run.started_at.empty() ? "" : " · " + markdown_cell(run.started_at)) + "\n\n";
  if (!run.causes.empty()) {  // first: one bug that broke many rules reads as one
    out += "**" + causes_heading(run.causes.size()) + "**\n\n";
    for (std::size_t i = 0; i < run.causes.size(); ++i) {
      out += std::to_string(i + 1) + ". " + markdown_cell(run.causes[i].to_text()) + "\n";
    }
    out += "\n";
  }
  out += "Capabilities: " + markdown_cell(detail::capabilities_line(run.capabilities)) + "\n\n";
  for (const auto& e : run.gate_errors) out += "- ❌ " + markdown_cell(e) + "\n";
  for (const auto& n : run.gate_notes) out += "- ℹ️ " + markdown_cell(n) + "\n";
  if (!run.gate_errors.empty() || !run.gate_notes.empty()) out += "\n";
  out += "| Rule | Level | Title | Verdict | Cases | Time |\n|---|---|---|---|---:|---:|\n";
  for (const auto& r : run.rules) {
    out += "| " + markdown_cell(r.id) + " | " + std::string(to_string(r.level)) + " | " +
           markdown_cell(r.title) +
           // A passed rule's note says how it was tested (the storage fault mechanism).
           (r.status == RuleStatus::passed && !r.message.empty() ? " (" + markdown_cell(r.message) + ")" : "") +
           " | " + icon(r) + " " + detail::status_label(r) + " | " +
           std::to_string(r.cases) + " | " + detail::format_seconds(r.seconds) + " |\n";
  }
  out += "\n";
  bool any = false;
  for (const auto& r : run.rules) {
    if (!r.broken()) continue;
    if (!any) out += "### Failures and warnings\n\n";
    any = true;
    failure_details(out, r);
  }
}

}  // namespace

std::string render_markdown(const std::vector<SuiteResult>& runs) {
  std::string out = "# sinkkit conformance report\n\n";
  if (runs.size() > 1) {
    out += "| Rule | Level |";
    std::string rule_line = "|---|---|";
    for (const auto& run : runs) {
      out += " " + markdown_cell(run.label()) + " |";
      rule_line += "---|";
    }
    out += "\n" + rule_line + "\n";
    for (const auto& id : detail::rule_ids(runs)) {
      const RuleResult* first = detail::first_result(runs, id);
      out += "| " + markdown_cell(id) + " | " + (first ? std::string(to_string(first->level)) : "?") + " |";
      for (const auto& run : runs) {
        const RuleResult* r = run.find(id);
        out += " " + (r ? icon(*r) + " " + detail::status_label(*r) : std::string("-")) + " |";
      }
      out += "\n";
    }
    out += "\n";
    for (const auto& run : runs) {
      out += "- " + std::string(run.exit_code() == 0 ? "✅ " : "❌ ") + "**" + markdown_cell(run.label()) + "**: " +
             run.summary_line() + "\n";
    }
    out += "\n";
  }
  for (const auto& run : runs) run_section(out, run);
  return out;
}

}  // namespace sinkkit::reports
