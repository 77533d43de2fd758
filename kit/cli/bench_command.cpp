// `sinkkit bench`: measure a sink process over a grid of batch sizes and
// worker counts, write the results and the benchmark report, and with
// --baseline fail (exit 1) on a regression.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <sinkkit/reports/bench_gate.hpp>
#include <sinkkit/reports/bench_results.hpp>
#include <sinkkit/reports/bench_writers.hpp>
#include <sinkkit/reports/report.hpp>
#include <sinkkit/runners/bench.hpp>
#include <sinkkit/runners/interruption.hpp>

#include "commands.hpp"
#include "options.hpp"

namespace sinkkit::cli {

namespace {

struct BenchArgs : SinkProcessArgs {
  std::string batch_sizes = "1,16,256,4096";
  std::string workers = "1,2,4";
  int repetitions = 5;
  std::int64_t items = 1 << 14;
  std::string out, report_dir, baseline, input, max_regression = "10%";
};

void add_bench_options(CLI::App& app, BenchArgs& b) {
  app.add_option("--batch-sizes", b.batch_sizes, "Comma-separated batch sizes")->capture_default_str();
  app.add_option("--workers", b.workers, "Comma-separated worker counts")->capture_default_str();
  app.add_option("--repetitions", b.repetitions, "Runs per configuration; medians are compared")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--items", b.items, "Items per run")->check(CLI::Range(1, 1'000'000'000))->capture_default_str();
  app.add_option("--out,-o", b.out, "Write the results (Google Benchmark compatible JSON) here");
  app.add_option("--report", b.report_dir, "Write bench.json, bench.md and bench.html to this directory");
  app.add_option("--baseline", b.baseline, "Earlier results to compare with: exit 1 on a regression");
  app.add_option("--max-regression", b.max_regression, "Largest accepted drop in median throughput (beyond the noise)")
      ->capture_default_str();
  app.add_option("--input", b.input, "Compare these saved results with --baseline instead of running a sink");
  add_sink_process_options(app, b);
  app.add_option("command", b.command, "The sink command, after --");
}

// The positive whole numbers of a comma-separated option.
template <class T>
std::vector<T> numbers(const std::string& csv, const char* option) {
  std::vector<T> out;
  std::stringstream in(csv);
  for (std::string item; std::getline(in, item, ',');) {
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || v < 1) throw CLI::ValidationError(option, "'" + item + "' is not a positive whole number");
    out.push_back(static_cast<T>(v));
  }
  if (out.empty()) throw CLI::ValidationError(option, "no values given");
  return out;
}

int interrupted_exit(int sig) {
  std::cerr << "sinkkit bench: interrupted by " << signal_name(sig) << "; its sink processes were stopped, no results written\n";
  return 128 + sig;
}

int run_bench_command(const BenchArgs& b) {
  const double limit = [&] {
    try {
      return reports::parse_fraction(b.max_regression);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("--max-regression", e.what());
    }
  }();
  nlohmann::json results;
  try {
    if (!b.input.empty()) {
      if (b.baseline.empty()) throw CLI::ValidationError("--input", "compares saved results: give --baseline too");
      std::ifstream in(b.input);
      if (!in) throw std::runtime_error(b.input + ": cannot open the results");
      results = nlohmann::json::parse(in);
    } else {
      if (b.command.empty()) throw CLI::ValidationError("command", "give the sink command after -- (or --input)");
      BenchOptions options;
      options.batch_sizes = numbers<std::uint32_t>(b.batch_sizes, "--batch-sizes");
      options.workers = numbers<int>(b.workers, "--workers");
      options.repetitions = b.repetitions;
      options.items_per_run = b.items;
      options.progress = &std::cout;
      install_interruption_handling();  // a signal kills the sink processes; nothing half-measured is written
      WireSink sut(wire_options(b));
      std::cout << "sinkkit bench: sink '" << sut.name() << "', " << b.repetitions << " repetitions per configuration"
                << std::endl;
      results = run_bench(sut, options);
      if (const int sig = interruption_signal(); sig != 0) return interrupted_exit(sig);
      results["context"]["command"] = b.command;
    }
    const auto now = reports::bench_results_from_json(results, b.input.empty() ? "sinkkit bench" : b.input);
    if (!b.out.empty()) reports::write_file_atomically(b.out, results.dump(2) + "\n");
    std::optional<reports::Comparison> comparison;
    if (!b.baseline.empty()) comparison = reports::compare_bench(reports::read_bench_results(b.baseline), now, limit);
    if (!b.report_dir.empty()) {
      const std::filesystem::path dir(b.report_dir);
      const auto* cmp = comparison ? &*comparison : nullptr;
      reports::write_file_atomically(dir / "bench.json", results.dump(2) + "\n");
      reports::write_file_atomically(dir / "bench.md", reports::render_bench_markdown({now}, {}, cmp));
      reports::write_file_atomically(dir / "bench.html", reports::render_bench_html({now}, {}, cmp));
      std::cout << "reports: " << (dir / "bench.{json,md,html}").string() << "\n";
    }
    // A configuration the sink failed: reported, the others written; the run fails.
    int failures = 0;
    for (const auto& entry : results.value("benchmarks", nlohmann::json::array())) {
      if (!entry.is_object() || !entry.value("error_occurred", false)) continue;
      std::cout << "FAILED: " << entry.value("name", "?") << ": " << entry.value("error_message", "") << "\n";
      ++failures;
    }
    if (comparison) {
      for (const auto& m : comparison->missing) std::cout << "not in the new results: " << m << "\n";
      if (comparison->regressed()) {
        std::cout << "REGRESSION (median throughput down more than " << b.max_regression << " and beyond the noise):\n"
                  << comparison->regressions_text();
        return 1;
      }
      std::cout << "no regression against " << b.baseline << " (" << comparison->changes.size()
                << " benchmarks compared, limit " << b.max_regression << ")\n";
    }
    return failures > 0 ? 1 : 0;
  } catch (const CLI::ValidationError&) {
    throw;
  } catch (const std::exception& e) {
    if (const int sig = interruption_signal(); sig != 0) return interrupted_exit(sig);
    std::cerr << "sinkkit bench: " << e.what() << "\n";
    return kExitUsage;
  }
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BenchArgs>();
  auto* bench = app.add_subcommand(
      "bench", "Measure a sink process: throughput, write_batch latency percentiles and close latency over a grid of "
               "batch sizes and workers; with --baseline, fail (exit 1) on a regression: sinkkit bench [options] -- COMMAND...");
  add_bench_options(*bench, *args);
  bench->callback([args, &exit_code] { exit_code = run_bench_command(*args); });
}

}  // namespace sinkkit::cli
