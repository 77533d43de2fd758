#pragma once
/// \file
/// Benchmark results (Google Benchmark JSON, or `sinkkit bench`'s, which has
/// the same shape): read them, check them against targets stated as ratios to
/// a baseline measured in the same run, compare them with an older run (the
/// regression gate), and render them as Markdown or self-contained HTML with
/// inline SVG charts.
///
/// **Example**:
///
///     using namespace sinkkit::reports;
///     BenchResults now = read_bench_results("out/kit_bench.json");
///     auto checks = check_targets(now, read_bench_targets("bench/targets.json"));
///     Comparison c = compare_bench(read_bench_results("old.json"), now, 0.10);
///     std::cout << render_bench_markdown({now}, checks, &c);
///     return c.regressed() ? 1 : 0;

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sinkkit::reports {

/// One benchmark (one configuration), over its repetitions.
struct BenchEntry {
  std::string name;  ///< the run name, without "_median" or "/repeats:N"
  /// Every numeric field (real_time, items_per_second, write_p99_ns, batch,
  /// user counters...) as one value per repetition.
  std::map<std::string, std::vector<double>> samples;
  /// From "stddev" aggregates, when the file has no repetitions of its own.
  std::map<std::string, double> stddev;
  std::string time_unit = "ns";

  /// The median of a field over the repetitions (nullopt if absent).
  [[nodiscard]] std::optional<double> median(std::string_view field) const;
  /// Half the range of a field over the repetitions, relative to its median:
  /// the noise a comparison must look past (0 with one repetition).
  [[nodiscard]] double noise(std::string_view field) const;
  /// items_per_second, else bytes_per_second, else 1/real_time: bigger is better.
  [[nodiscard]] std::string throughput_field() const;
};

struct BenchResults {
  std::string source;  ///< file it came from
  nlohmann::json context;
  std::vector<BenchEntry> entries;
  [[nodiscard]] const BenchEntry* find(std::string_view name) const;
};

/// Parses Google Benchmark JSON: repetitions are grouped by run name; with
/// only aggregates (--benchmark_report_aggregates_only) the medians are used
/// and the noise is taken from the "stddev" aggregates. Throws
/// `std::invalid_argument` naming `source` and the problem.
BenchResults bench_results_from_json(const nlohmann::json& j, std::string source = "results");
/// Reads a file; throws `std::runtime_error` naming it.
BenchResults read_bench_results(const std::filesystem::path& file);

/// A target: every benchmark whose name matches `match` (a substring; a
/// leading ^ anchors it at the start, a trailing $ at the end) and whose
/// `batch` counter is at least `min_batch`, compared with the benchmark named
/// by replacing `baseline_from` with `baseline_to` in its name (its baseline,
/// same run), on `metric` (a throughput). Passes when subject/baseline >=
/// `min_ratio`; without a baseline, when the subject's median >= `min_value`.
struct BenchTarget {
  std::string title;
  std::string match;
  std::string baseline_from, baseline_to;
  std::string metric = "items_per_second";
  double min_ratio = 0;
  double min_value = 0;
  double min_batch = 0;
};

/// Reads bench/targets.json ({"targets": [...]}); throws naming the entry.
std::vector<BenchTarget> read_bench_targets(const std::filesystem::path& file);

struct TargetCheck {
  std::string title;
  std::string subject, baseline;  ///< baseline empty for absolute targets
  double value = 0;               ///< the ratio, or the subject's median
  double goal = 0;
  bool met = false;
};

/// Every (subject, baseline) pair each target matches in `results`; a
/// target that matches nothing gives one unmet check saying so.
std::vector<TargetCheck> check_targets(const BenchResults& results, const std::vector<BenchTarget>& targets);

/// One benchmark of a regression comparison.
struct BenchChange {
  std::string name;
  std::string field;   ///< the throughput compared
  double before = 0, after = 0;
  double change = 0;   ///< after/before - 1
  double noise = 0;    ///< the two runs' noise, added
  bool regressed = false;
};

struct Comparison {
  double max_regression = 0.10;
  std::vector<BenchChange> changes;
  std::vector<std::string> missing;  ///< in the baseline, not in the new results
  [[nodiscard]] bool regressed() const;
  /// One line per regression: "BM_x/256: items_per_second 1.2e+08 -> 9.1e+07 (-24.2%, noise +-3.1%)".
  [[nodiscard]] std::string regressions_text() const;
};

/// Compares medians: a benchmark regressed when its throughput fell by more
/// than `max_regression` and by more than the noise of both runs.
Comparison compare_bench(const BenchResults& before, const BenchResults& after, double max_regression);

/// Parses "10%" or "0.1"; throws `std::invalid_argument` naming the text.
double parse_fraction(std::string_view text);

/// Markdown: per result file a table (median throughput, time, noise, and
/// latency percentiles when present), then the targets and the comparison.
std::string render_bench_markdown(const std::vector<BenchResults>& runs, const std::vector<TargetCheck>& targets = {},
                                  const Comparison* comparison = nullptr);

/// Self-contained HTML: the same tables, plus for each benchmark family with
/// `batch` and `workers` counters a chart of throughput against batch size
/// (a line per worker count), and for results with latency percentiles a
/// chart of the write_batch latency distribution (p50, p90, p99, max).
std::string render_bench_html(const std::vector<BenchResults>& runs, const std::vector<TargetCheck>& targets = {},
                              const Comparison* comparison = nullptr);

/// True when `j` looks like benchmark results (a "benchmarks" array).
bool is_bench_json(const nlohmann::json& j);

}  // namespace sinkkit::reports
