#pragma once
/// \file
/// The benchmark report: benchmark results, the targets they were checked
/// against and the regression gate's comparison, rendered as Markdown (for a
/// CI job summary) or as one self-contained HTML file with inline SVG charts
/// (no script, nothing fetched). Pure functions of their arguments; every
/// name that came from a file is escaped.
///
/// **Example**:
///
///     using namespace sinkkit::reports;
///     BenchResults now = read_bench_results("out/kit_bench.json");
///     auto checks = check_targets(now, read_bench_targets("bench/targets.json"));
///     Comparison c = compare_bench(read_bench_results("old.json"), now, 0.10);
///     std::cout << render_bench_markdown({now}, checks, &c);
///     std::ofstream("bench.html") << render_bench_html({now}, checks, &c);

#include <string>
#include <vector>

#include <sinkkit/reports/bench_gate.hpp>
#include <sinkkit/reports/bench_results.hpp>

namespace sinkkit::reports {

/// Markdown: the targets and the comparison when given, then per result file
/// a table (median throughput, time, noise, and latency percentiles when
/// present).
std::string render_bench_markdown(const std::vector<BenchResults>& runs, const std::vector<TargetCheck>& targets = {},
                                  const Comparison* comparison = nullptr);

/// Self-contained HTML: the same tables, plus for each benchmark family with
/// `batch` and `workers` counters a chart of throughput against batch size
/// (a line per worker count), and for results with latency percentiles a
/// chart of the write_batch latency distribution (p50, p90, p99, max).
std::string render_bench_html(const std::vector<BenchResults>& runs, const std::vector<TargetCheck>& targets = {},
                              const Comparison* comparison = nullptr);

}  // namespace sinkkit::reports
