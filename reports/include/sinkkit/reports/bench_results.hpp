#pragma once
/// \file
/// Benchmark results as a model: a file of Google Benchmark JSON (or
/// `sinkkit bench`'s, which has the same shape) read into one entry per
/// benchmark, each holding every measured field once per repetition, so that
/// medians and noise can be taken. Reading throws naming the file and the
/// problem; it never returns partial results. The targets and the regression
/// gate (bench_gate.hpp) and the writers (bench_writers.hpp) work on this model.
///
/// **Example**:
///
///     using namespace sinkkit::reports;
///     BenchResults now = read_bench_results("out/kit_bench.json");
///     for (const BenchEntry& e : now.entries) {
///       const std::string field = e.throughput_field();
///       std::cout << e.name << ": " << e.median(field).value_or(0) << " " << field
///                 << " +-" << e.noise(field) * 100 << "%\n";
///     }

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

/// The benchmarks of one file, in the file's order.
struct BenchResults {
  std::string source;  ///< file it came from
  nlohmann::json context;
  std::vector<BenchEntry> entries;
  /// The entry named exactly `name`, or nullptr.
  [[nodiscard]] const BenchEntry* find(std::string_view name) const;
};

/// Parses Google Benchmark JSON: repetitions are grouped by run name; with
/// only aggregates (--benchmark_report_aggregates_only) the medians are used
/// and the noise is taken from the "stddev" aggregates. Throws
/// `std::invalid_argument` naming `source` and the problem.
BenchResults bench_results_from_json(const nlohmann::json& j, std::string source = "results");
/// Reads a file; throws `std::runtime_error` naming it.
BenchResults read_bench_results(const std::filesystem::path& file);
/// The same for a file's text; `source` names it in errors.
BenchResults read_bench_results_text(std::string_view text, std::string source);

/// True when `j` looks like benchmark results (a "benchmarks" array).
bool is_bench_json(const nlohmann::json& j);

}  // namespace sinkkit::reports
