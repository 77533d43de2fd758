// A benchmark results file handed to `sinkkit report` (Google Benchmark's
// JSON, with repetitions or aggregates only): read, checked against the
// bundled targets (bench/targets.json), compared with itself as the
// regression gate does, and rendered as Markdown and HTML.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include <sinkkit/reports/bench_gate.hpp>
#include <sinkkit/reports/bench_results.hpp>
#include <sinkkit/reports/bench_writers.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace reports = sinkkit::reports;
  using sinkkit::fuzz::expect;
  static const auto targets = reports::read_bench_targets(sinkkit::fuzz::source_file("bench/targets.json"));
  reports::BenchResults results;
  try {
    results = reports::read_bench_results_text(sinkkit::fuzz::text_of(data, size), "fuzz.json");
  } catch (const std::runtime_error& e) {
    expect(std::string_view(e.what()).starts_with("fuzz.json"), "a benchmark reader's error names its file");
    return 0;
  }
  for (const auto& entry : results.entries) expect(results.find(entry.name) != nullptr, "an entry not found by its name");
  const auto checks = reports::check_targets(results, targets);
  const auto self = reports::compare_bench(results, results, 0.10);
  expect(!self.regressed(), "results regressed against themselves");
  (void)self.regressions_text();
  (void)reports::render_bench_markdown({results}, checks);
  (void)reports::render_bench_html({results}, checks);
  return 0;
}
