// The wire protocol's cost: JsonlFileSink driven in process (a Harness) and
// the same sink served by a process of its own (sinkkit_serve_reference),
// same workloads, same simulator, each run timed from its trace as
// `sinkkit bench` times one (first build to last close, without the making
// of the items between the builds and the data). The ratio wire/in-process
// is what a sink author pays for writing the sink in another language.

#include <string>

#include <benchmark/benchmark.h>
#include <sinkkit/runners/bench.hpp>
#include <sinkkit/runners/harness.hpp>
#include <sinkkit/runners/wire_sink.hpp>

#include "../property-tests/harnesses/reference_harnesses.hpp"

namespace {

namespace fs = std::filesystem;
using Harness = sinkkit_harnesses::JsonlFileSinkHarness<sinkkit_harnesses::kFsyncNever>;

void drive(benchmark::State& state, sinkkit::SinkUnderTest& sut) {
  const auto batch = static_cast<std::uint32_t>(state.range(0));
  const int workers = static_cast<int>(state.range(1));
  const int epochs = static_cast<int>(std::max<std::int64_t>(1, (1 << 14) / (static_cast<std::int64_t>(batch) * workers)));
  auto workload = sinkkit::Workload::empty(workers, 1, epochs);
  for (auto& cell : workload.cells) cell = {batch};
  const auto root = fs::temp_directory_path() / ("sinkkit-wire-bench-" + std::to_string(::getpid()));
  int n = 0;
  for (auto _ : state) {
    const sinkkit::TestTarget target{root / std::to_string(n), "t" + std::to_string(n)};
    ++n;
    fs::create_directories(target.dir);
    sinkkit::RunRequest request;
    request.workload = workload;
    request.simulation.mode = sinkkit::ExecutionMode::threaded;
    request.simulation.poison_batches = false;
    request.simulation.items_made_ahead = true;
    const auto trace = sut.run(sut.make_config(target), request);
    if (trace.aborted) state.SkipWithError(trace.abort_reason.c_str());
    // As `sinkkit bench` times a run: making (over the wire, encoding) the
    // items ahead is neither side's cost.
    state.SetIterationTime(static_cast<double>(sinkkit::detail::run_time_without_making_items(trace)) * 1e-9);
    fs::remove_all(target.dir);
  }
  fs::remove_all(root);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch) * workers * epochs);
  state.counters["batch"] = batch;
  state.counters["workers"] = workers;
}

void BM_InProcess_Jsonl(benchmark::State& state) {
  sinkkit::HarnessSink<Harness> sut;
  drive(state, sut);
}

void BM_Wire_Jsonl(benchmark::State& state) {
  sinkkit::WireOptions options;
  options.command = {SINKKIT_SERVE_REFERENCE, "jsonl"};
  options.config = nlohmann::json{{"dir", "{target}"}, {"fsync", "never"}};
  sinkkit::WireSink sut(options);
  drive(state, sut);
}

void grid(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "workers"});
  for (std::int64_t batch : {16, 256, 4096})
    for (std::int64_t workers : {1, 2}) b->Args({batch, workers});
}

BENCHMARK(BM_InProcess_Jsonl)->Apply(grid)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Wire_Jsonl)->Apply(grid)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
