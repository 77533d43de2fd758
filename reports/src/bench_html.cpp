// The benchmark report as one self-contained HTML file: targets, the
// regression gate, and per result file the throughput and latency charts
// (inline SVG) above its table.

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include <sinkkit/reports/bench_writers.hpp>
#include <sinkkit/reports/detail/text.hpp>

#include "bench_format.hpp"

namespace sinkkit::reports {

namespace {

using bench_format::measured_columns;
using bench_format::measurement_cell;
using bench_format::printf_number;
using bench_format::signed_percent;
using bench_format::target_measurement;
using bench_format::with_si_prefix;
using detail::xml_escape;

const char* const kColors[] = {"#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#c62828", "#00838f", "#5d4037", "#455a64"};
constexpr int kColorCount = 8;

// The benchmark family of a grid entry: its name without the batch and
// workers segments ("BM_Jsonl/fsync:never/batch:256/workers:4/manual_time"
// -> "BM_Jsonl/fsync:never/manual_time").
std::string family_of(const std::string& name) {
  std::string out;
  std::stringstream in(name);
  for (std::string segment; std::getline(in, segment, '/');) {
    if (segment.starts_with("batch:") || segment.starts_with("workers:")) continue;
    out += (out.empty() ? "" : "/") + segment;
  }
  return out;
}

// Throughput against batch size (log scale), a line per worker count.
std::string throughput_chart(const std::string& family, const std::vector<const BenchEntry*>& entries) {
  std::map<int, std::vector<std::pair<double, double>>> lines;  // workers -> (batch, throughput)
  double max_throughput = 0, min_batch = 1e300, max_batch = 0;
  for (const auto* entry : entries) {
    const auto field = entry->throughput_field();
    const double batch = entry->median("batch").value_or(0), throughput = entry->median(field).value_or(0);
    if (batch <= 0) continue;
    lines[static_cast<int>(entry->median("workers").value_or(1))].emplace_back(batch, throughput);
    max_throughput = std::max(max_throughput, throughput), min_batch = std::min(min_batch, batch),
    max_batch = std::max(max_batch, batch);
  }
  if (lines.empty() || max_throughput <= 0) return "";
  // The chart's size and the margins around the plot: axis labels on the
  // left and below, the title above, the legend on the right.
  constexpr int kWidth = 560, kHeight = 260, kLeftMargin = 70, kBottomMargin = 36, kTopMargin = 24, kLegendWidth = 110;
  const double log_batch_min = std::log2(min_batch), log_batch_max = std::max(std::log2(max_batch), log_batch_min + 1);
  auto x_of_batch = [&](double batch) {
    return kLeftMargin + (std::log2(batch) - log_batch_min) / (log_batch_max - log_batch_min) * (kWidth - kLeftMargin - kLegendWidth);
  };
  auto y_of_throughput = [&](double throughput) {
    return kTopMargin + (1 - throughput / max_throughput) * (kHeight - kTopMargin - kBottomMargin);
  };
  const std::string metric = entries.front()->throughput_field();
  std::string svg = "<svg class=\"chart throughput\" role=\"img\" width=\"" + std::to_string(kWidth) + "\" height=\"" +
                    std::to_string(kHeight) + "\" data-family=\"" + xml_escape(family) + "\" data-lines=\"" +
                    std::to_string(lines.size()) + "\"><title>" + xml_escape(family + ": " + metric + " by batch size") +
                    "</title>\n<text x=\"" + std::to_string(kLeftMargin) + "\" y=\"14\" class=\"ct\">" + xml_escape(family) +
                    "</text>\n";
  for (int tick = 0; tick <= 4; ++tick) {  // horizontal grid lines at quarters of the highest throughput
    const double tick_throughput = max_throughput * tick / 4;
    const double tick_y = y_of_throughput(tick_throughput);
    svg += "<line class=\"grid\" x1=\"" + std::to_string(kLeftMargin) + "\" x2=\"" + std::to_string(kWidth - kLegendWidth) +
           "\" y1=\"" + printf_number(tick_y, "%.1f") + "\" y2=\"" + printf_number(tick_y, "%.1f") + "\"/><text x=\"" +
           std::to_string(kLeftMargin - 4) + "\" y=\"" + printf_number(tick_y + 4, "%.1f") + "\" text-anchor=\"end\">" +
           with_si_prefix(tick_throughput) + "</text>\n";
  }
  std::set<double> batch_sizes;
  for (const auto& [workers, points] : lines)
    for (const auto& point : points) batch_sizes.insert(point.first);
  for (double batch : batch_sizes) {
    svg += "<text x=\"" + printf_number(x_of_batch(batch), "%.1f") + "\" y=\"" + std::to_string(kHeight - kBottomMargin + 16) +
           "\" text-anchor=\"middle\">" + printf_number(batch, "%.0f") + "</text>\n";
  }
  svg += "<text x=\"" + std::to_string((kLeftMargin + kWidth - kLegendWidth) / 2) + "\" y=\"" + std::to_string(kHeight - 4) +
         "\" text-anchor=\"middle\">batch size (items)</text>\n";
  int line_index = 0;
  for (auto& [workers, points] : lines) {
    std::sort(points.begin(), points.end());
    const char* color = kColors[line_index++ % kColorCount];
    std::string path;
    for (const auto& [batch, throughput] : points) {
      path += (path.empty() ? "M" : " L") + printf_number(x_of_batch(batch), "%.1f") + "," +
              printf_number(y_of_throughput(throughput), "%.1f");
    }
    svg += "<path class=\"line\" d=\"" + path + "\" stroke=\"" + color + "\" fill=\"none\" stroke-width=\"2\"/>\n";
    for (const auto& [batch, throughput] : points) {
      svg += "<circle cx=\"" + printf_number(x_of_batch(batch), "%.1f") + "\" cy=\"" +
             printf_number(y_of_throughput(throughput), "%.1f") + "\" r=\"3\" fill=\"" + color + "\"><title>" +
             std::to_string(workers) + " workers, batch " + printf_number(batch, "%.0f") + ": " + with_si_prefix(throughput) +
             "/s</title></circle>\n";
    }
    const double legend_y = kTopMargin + 14.0 * (line_index - 1);
    svg += "<rect x=\"" + std::to_string(kWidth - kLegendWidth + 12) + "\" y=\"" + printf_number(legend_y, "%.0f") +
           "\" width=\"10\" height=\"10\" fill=\"" + color + "\"/><text x=\"" + std::to_string(kWidth - kLegendWidth + 26) +
           "\" y=\"" + printf_number(legend_y + 9, "%.0f") + "\">" + std::to_string(workers) +
           (workers == 1 ? " worker" : " workers") + "</text>\n";
  }
  return svg + "</svg>\n";
}

// write_batch latency per configuration: p50, p90, p99 and max, on a log scale.
std::string latency_chart(const BenchResults& results) {
  std::vector<const BenchEntry*> rows;
  double max_latency_ns = 1;
  for (const auto& entry : results.entries) {
    if (!entry.samples.contains("write_p50_ns")) continue;
    rows.push_back(&entry);
    max_latency_ns = std::max(max_latency_ns, entry.median("write_max_ns").value_or(1));
  }
  if (rows.empty()) return "";
  const char* percentile_fields[] = {"write_p50_ns", "write_p90_ns", "write_p99_ns", "write_max_ns"};
  // Names in a column on the left, the bars to its right; a row per entry.
  constexpr int kBarsLeft = 260, kWidth = 720, kRowHeight = 30, kTopMargin = 28;
  const int height = kTopMargin + static_cast<int>(rows.size()) * kRowHeight + 30;
  const double log_ns_max = std::log10(max_latency_ns) + 0.1, log_ns_min = 2;  // from 100 ns
  auto x_of_ns = [&](double ns) {
    return kBarsLeft +
           std::max(0.0, (std::log10(std::max(ns, 100.0)) - log_ns_min) / (log_ns_max - log_ns_min)) * (kWidth - kBarsLeft - 10);
  };
  std::string svg = "<svg class=\"chart latency\" role=\"img\" width=\"" + std::to_string(kWidth) + "\" height=\"" +
                    std::to_string(height) + "\" data-rows=\"" + std::to_string(rows.size()) +
                    "\"><title>write_batch latency: p50, p90, p99, max</title>\n";
  for (int decade = 2; decade <= static_cast<int>(log_ns_max); ++decade) {  // a grid line per power of ten
    const double tick_ns = std::pow(10.0, decade);
    const std::string tick_x = printf_number(x_of_ns(tick_ns), "%.1f");
    svg += "<line class=\"grid\" x1=\"" + tick_x + "\" x2=\"" + tick_x + "\" y1=\"" + std::to_string(kTopMargin - 6) +
           "\" y2=\"" + std::to_string(height - 24) + "\"/><text x=\"" + tick_x + "\" y=\"" + std::to_string(height - 10) +
           "\" text-anchor=\"middle\">" + with_si_prefix(tick_ns * 1e-9) + "s</text>\n";
  }
  for (std::size_t row = 0; row < rows.size(); ++row) {
    const BenchEntry& entry = *rows[row];
    const int row_top = kTopMargin + static_cast<int>(row) * kRowHeight;
    svg += "<text x=\"" + std::to_string(kBarsLeft - 6) + "\" y=\"" + std::to_string(row_top + 16) +
           "\" text-anchor=\"end\">" + xml_escape(entry.name) + "</text>\n";
    for (int percentile = 3; percentile >= 0; --percentile) {  // the longest bar first, so the shorter ones stay visible
      const double latency_ns = entry.median(percentile_fields[percentile]).value_or(0);
      svg += "<rect class=\"lat p" + std::to_string(percentile) + "\" x=\"" + std::to_string(kBarsLeft) + "\" y=\"" +
             std::to_string(row_top + 4 + percentile * 5) + "\" width=\"" +
             printf_number(x_of_ns(latency_ns) - kBarsLeft, "%.1f") + "\" height=\"5\" fill=\"" + kColors[percentile] +
             "\"><title>" + xml_escape(entry.name) + " " + percentile_fields[percentile] + ": " +
             with_si_prefix(latency_ns * 1e-9) + "s</title></rect>\n";
    }
  }
  svg += "<text x=\"10\" y=\"14\">bars: p50 (blue), p90 (green), p99 (orange), max (purple)</text>\n";
  return svg + "</svg>\n";
}

std::string results_table(const BenchResults& results) {
  const auto columns = measured_columns(results);
  std::string out = "<table class=\"bench\"><thead><tr><th>Benchmark</th>";
  for (const auto& column : columns) out += "<th>" + xml_escape(column) + "</th>";
  out += "<th>noise</th></tr></thead><tbody>\n";
  for (const auto& entry : results.entries) {
    out += "<tr><td>" + xml_escape(entry.name) + "</td>";
    for (const auto& column : columns) out += "<td class=\"num\">" + xml_escape(measurement_cell(entry, column)) + "</td>";
    out += "<td class=\"num\">±" + printf_number(entry.noise(entry.throughput_field()) * 100, "%.1f") + "%</td></tr>\n";
  }
  return out + "</tbody></table>\n";
}

}  // namespace

std::string render_bench_html(const std::vector<BenchResults>& runs, const std::vector<TargetCheck>& targets,
                              const Comparison* comparison) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      "<title>sinkkit benchmark report</title>\n<style>\n"
      "body{font:14px/1.45 system-ui,sans-serif;max-width:1200px;margin:0 auto;padding:16px 24px;color:#1b1b1b}"
      "table{border-collapse:collapse;margin:8px 0}th,td{border-bottom:1px solid #eee;padding:3px 8px;text-align:left}"
      "td.num{text-align:right;font-variant-numeric:tabular-nums}.met{color:#2e7d32;font-weight:600}"
      ".missed{color:#c62828;font-weight:600}svg.chart{border:1px solid #ddd;margin:8px 8px 8px 0;font:11px system-ui,sans-serif}"
      "svg .grid{stroke:#eee}svg .ct{font-weight:600}\n</style>\n</head>\n<body>\n<h1>sinkkit benchmark report</h1>\n";
  if (!targets.empty()) {
    const auto met = std::count_if(targets.begin(), targets.end(), [](const TargetCheck& check) { return check.met; });
    out += "<h2>Targets: " + std::to_string(met) + " of " + std::to_string(targets.size()) +
           " met</h2>\n<table class=\"targets\"><thead><tr><th></th><th>Target</th><th>Benchmark</th><th>Baseline (same "
           "run)</th><th>Measured</th></tr></thead><tbody>\n";
    for (const auto& check : targets) {
      out += std::string("<tr class=\"target ") + (check.met ? "target-met" : "target-missed") + "\"><td class=\"" +
             (check.met ? "met" : "missed") + "\">" + (check.met ? "met" : "missed") + "</td><td>" + xml_escape(check.title) +
             "</td><td>" + xml_escape(check.subject) + "</td><td>" + xml_escape(check.baseline.empty() ? "-" : check.baseline) +
             "</td><td class=\"num\">" + xml_escape(target_measurement(check)) + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  if (comparison != nullptr) {
    out += std::string("<h2>Regression gate: <span class=\"") + (comparison->regressed() ? "missed\">regressed" : "met\">no regression") +
           "</span></h2>\n<table class=\"comparison\"><thead><tr><th></th><th>Benchmark</th><th>Before</th><th>After</th>"
           "<th>Change</th><th>Noise</th></tr></thead><tbody>\n";
    for (const auto& change : comparison->changes) {
      out += std::string("<tr><td class=\"") + (change.regressed ? "missed\">regressed" : "met\">ok") + "</td><td>" +
             xml_escape(change.name) + "</td><td class=\"num\">" + with_si_prefix(change.before) + "</td><td class=\"num\">" +
             with_si_prefix(change.after) + "</td><td class=\"num\">" + signed_percent(change.change) +
             "</td><td class=\"num\">±" + printf_number(change.noise * 100, "%.1f") + "%</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  for (const auto& results : runs) {
    out += "<section class=\"results\"><h2>" + xml_escape(results.source) + "</h2>\n";
    if (const auto grid = bench_format::grid_note(results); !grid.empty()) {
      out += "<p class=\"grid\">" + xml_escape(grid) + "</p>\n";
    }
    std::map<std::string, std::vector<const BenchEntry*>> families;
    std::vector<std::string> family_order;
    for (const auto& entry : results.entries) {
      if (!entry.samples.contains("batch") || !entry.samples.contains("workers")) continue;
      const auto family = family_of(entry.name);
      if (!families.contains(family)) family_order.push_back(family);
      families[family].push_back(&entry);
    }
    for (const auto& family : family_order) out += throughput_chart(family, families[family]);
    out += latency_chart(results);
    out += results_table(results) + "</section>\n";
  }
  return out + "</body>\n</html>\n";
}

}  // namespace sinkkit::reports
