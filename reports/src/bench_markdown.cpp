// The benchmark report as Markdown: targets, the regression gate, then a
// table per result file.

#include <algorithm>

#include <sinkkit/reports/bench_writers.hpp>
#include <sinkkit/reports/detail/text.hpp>

#include "bench_format.hpp"

namespace sinkkit::reports {

using bench_format::grid_note;
using bench_format::host_note;
using bench_format::measured_columns;
using bench_format::measurement_cell;
using bench_format::printf_number;
using bench_format::signed_percent;
using bench_format::target_measurement;
using bench_format::with_si_prefix;
using detail::markdown_cell;

std::string render_bench_markdown(const std::vector<BenchResults>& runs, const std::vector<TargetCheck>& targets,
                                  const Comparison* comparison) {
  std::string out = "# sinkkit benchmark report\n\n";
  if (!targets.empty()) {
    const auto met = std::count_if(targets.begin(), targets.end(), [](const TargetCheck& check) { return check.met; });
    out += "## Targets: " + std::to_string(met) + " of " + std::to_string(targets.size()) + " met\n\n";
    out += "| | Target | Benchmark | Baseline (same run) | Measured |\n|---|---|---|---|---|\n";
    for (const auto& check : targets) {
      out += std::string("| ") + (check.met ? "✅" : "❌") + " | " + markdown_cell(check.title) + " | " +
             markdown_cell(check.subject) + " | " + markdown_cell(check.baseline.empty() ? "-" : check.baseline) + " | " +
             target_measurement(check) + " |\n";
    }
    out += "\n";
  }
  if (comparison != nullptr) {
    out += std::string("## Regression gate: ") + (comparison->regressed() ? "❌ regressed" : "✅ no regression") +
           " (limit -" + printf_number(comparison->max_regression * 100, "%.0f") + "%, beyond the measured noise)\n\n";
    out += "| | Benchmark | Before | After | Change | Noise |\n|---|---|---:|---:|---:|---:|\n";
    for (const auto& change : comparison->changes) {
      out += std::string("| ") + (change.regressed ? "❌" : "✅") + " | " + markdown_cell(change.name) + " | " +
             with_si_prefix(change.before) + " | " + with_si_prefix(change.after) + " | " + signed_percent(change.change) +
             " | ±" + printf_number(change.noise * 100, "%.1f") + "% |\n";
    }
    for (const auto& name : comparison->missing) out += "\nNot in the new results: " + markdown_cell(name) + "\n";
    out += "\n";
  }
  for (const auto& results : runs) {
    out += "## " + markdown_cell(results.source) + "\n\n";
    if (const auto host = host_note(results); !host.empty()) out += markdown_cell(host) + "\n\n";
    if (const auto grid = grid_note(results); !grid.empty()) out += markdown_cell(grid) + "\n\n";
    const auto columns = measured_columns(results);
    out += "| Benchmark |";
    std::string alignment_row = "|---|";
    for (const auto& column : columns) out += " " + markdown_cell(column) + " |", alignment_row += "---:|";
    out += " noise |\n" + alignment_row + "---:|\n";
    for (const auto& entry : results.entries) {
      out += "| " + markdown_cell(entry.name) + " |";
      for (const auto& column : columns) out += " " + measurement_cell(entry, column) + " |";
      out += " ±" + printf_number(entry.noise(entry.throughput_field()) * 100, "%.1f") + "% |\n";
    }
    out += "\n";
  }
  return out;
}

}  // namespace sinkkit::reports
