#pragma once
/// \file
/// What benchmark results are held to: targets stated as ratios to a
/// baseline measured in the same run (bench/targets.json), and the
/// regression gate, which compares the medians of a new run with an older
/// one and fails only a drop beyond both the limit and the measured noise.
/// Reading targets throws naming the file and the entry; checking and
/// comparing never throw and report what they could not match.
///
/// **Example**:
///
///     using namespace sinkkit::reports;
///     BenchResults now = read_bench_results("out/kit_bench.json");
///     std::vector<TargetCheck> checks = check_targets(now, read_bench_targets("bench/targets.json"));
///     Comparison c = compare_bench(read_bench_results("old.json"), now, parse_fraction("10%"));
///     std::cout << c.regressions_text();
///     return c.regressed() ? 1 : 0;

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <sinkkit/reports/bench_results.hpp>

namespace sinkkit::reports {

/// A target: every benchmark whose name matches `match` (a substring; a
/// leading ^ anchors it at the start, a trailing $ at the end) and whose
/// `batch` counter is at least `min_batch`, compared with the benchmark named
/// by replacing `baseline_from` with `baseline_to` in its name (its baseline,
/// same run), on `metric` (a throughput); or, with `baseline_metric`, with
/// another figure of the same benchmark (`sinkkit bench`'s end-to-end
/// items_per_second against the sink's own sink_items_per_second). Passes
/// when subject/baseline >= `min_ratio`; without a baseline, when the
/// subject's median >= `min_value`.
struct BenchTarget {
  std::string title;
  std::string match;
  std::string baseline_from, baseline_to;
  std::string baseline_metric;
  std::string metric = "items_per_second";
  double min_ratio = 0;
  double min_value = 0;
  double min_batch = 0;
};

/// Reads bench/targets.json ({"targets": [...]}); throws naming the entry.
std::vector<BenchTarget> read_bench_targets(const std::filesystem::path& file);
/// The same for a file's text; `source` names it in errors.
std::vector<BenchTarget> read_bench_targets_text(std::string_view text, const std::string& source);

/// One (subject, baseline) pair of a target, measured.
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

/// The regression gate's finding: a change per benchmark in both runs.
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

}  // namespace sinkkit::reports
