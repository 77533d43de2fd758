#pragma once
/// \file
/// `run_bench`: what a sink costs, for any `SinkUnderTest` (a C++ harness
/// through `HarnessSink`, or a sink process through `WireSink`). For each
/// batch size and worker count of a grid it drives the sink like the runtime
/// would (threaded mode, one batch per worker per epoch), repeats the run, and
/// reports throughput, per-`write_batch` latency percentiles and close
/// latency, as Google Benchmark compatible JSON: one "iteration" entry per
/// repetition and a "median" aggregate per configuration.
///
/// **Example**:
///
///     sinkkit::HarnessSink<MyHarness> sut;
///     nlohmann::json out = sinkkit::run_bench(sut, {.batch_sizes = {64, 4096}, .workers = {1, 4}});
///     std::ofstream("bench.json") << out.dump(2);   // `sinkkit report bench.json --format html`

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/rules/sink_under_test.hpp>

namespace sinkkit {
inline namespace runners {

struct BenchOptions {
  std::vector<std::uint32_t> batch_sizes{1, 16, 256, 4096};
  std::vector<int> workers{1, 2, 4};
  /// Items each run writes in all, in whole epochs (at least one batch per
  /// worker); each entry's `items` says how many it wrote.
  std::int64_t items_per_run = 1 << 16;
  /// At most this many epochs per run; 0: as many as `items_per_run` needs.
  int max_epochs = 0;
  int repetitions = 5;
  /// One run of each configuration first, not measured: the sink's caches,
  /// connections and files warm, as in the runs that follow.
  bool warm_up = true;
  /// Where fresh targets are made (default: the system's temp directory).
  std::filesystem::path scratch;
  /// A line per configuration as it finishes (nullptr: quiet).
  std::ostream* progress = nullptr;
};

/// Runs the grid. Each entry's name is "<sink>/batch:<B>/workers:<W>"; its
/// fields: real_time (ns of the run, first build to last close, without the
/// time between the builds and the first write, where the kit makes the
/// run's items: `detail::run_time_without_making_items`), items_per_second,
/// write_p50_ns, write_p90_ns, write_p99_ns, write_max_ns, close_p50_ns,
/// close_max_ns, writes, items, batch, workers; where the sink's process
/// reports its own time in each write_batch (the wire adapters do), also
/// sink_items_per_second (the items over the sink's own write time, its
/// workers side by side) and sink_write_p50_ns. A configuration whose run
/// fails is one entry with `error_occurred` and `error_message` (as Google
/// Benchmark reports a failed benchmark), and the others still run.
nlohmann::json run_bench(SinkUnderTest& sut, const BenchOptions& options);

}  // namespace runners

namespace detail {
/// A benchmark run's wall time: the builds' span and the data's (writes and
/// closes), the gap between them left out; a trace whose data started before
/// its last build ended (no gap), first event to last.
std::int64_t run_time_without_making_items(const Trace& trace);
}  // namespace detail
}  // namespace sinkkit
