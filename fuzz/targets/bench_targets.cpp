// A benchmark targets file (`sinkkit report --targets`, bench/targets.json):
// read, then checked against a fixed set of results and rendered.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include <sinkkit/reports/bench_gate.hpp>
#include <sinkkit/reports/bench_results.hpp>
#include <sinkkit/reports/bench_writers.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace reports = sinkkit::reports;
  using sinkkit::fuzz::expect;
  static const auto results = reports::read_bench_results(sinkkit::fuzz::source_file("fuzz/data/reference_sinks_bench.json"));
  std::vector<reports::BenchTarget> targets;
  try {
    targets = reports::read_bench_targets_text(sinkkit::fuzz::text_of(data, size), "targets.json");
  } catch (const std::runtime_error& e) {
    expect(std::string_view(e.what()).starts_with("targets.json"), "a targets reader's error names its file");
    return 0;
  }
  for (const auto& t : targets) expect(!t.match.empty(), "a target without a match was read");
  const auto checks = reports::check_targets(results, targets);
  for (const auto& c : checks) expect(!c.met || c.value >= c.goal, "a target met below its goal");
  (void)reports::render_bench_markdown({results}, checks);
  (void)reports::render_bench_html({results}, checks);
  return 0;
}
