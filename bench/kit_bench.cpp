// What the kit itself costs, each against a baseline measured in the same
// binary and run (docs/performance.md; targets in bench/targets.json):
// - the Simulator driving MemorySink vs a plain loop of write_batch calls on
//   the same prebuilt batches (target: >= 0.9 of the loop at batch >= 256);
// - the Oracle judging 10^5..10^7 items (target: >= 20 M items/s, and linear:
//   per-item time at 10^7 within 1.5x of that at 10^5).
// Both sides of a comparison time the same span, from build to close, with
// manual timing: the simulator's span is read from its own trace.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <sinkkit/judgement/oracle.hpp>
#include <sinkkit/simulation/simulator.hpp>
#include <sinkkit/sinks/memory_sink.hpp>
#include <sinkkit_test/events.hpp>

namespace {

using sinkkit::ItemKey;
using sinkkit_test::Event;

constexpr std::int64_t kItemsPerRun = 1 << 18;  // 4 batches even at 65,536: one batch is mostly page faults

std::int64_t epochs_for(std::int64_t batch) { return std::max<std::int64_t>(1, kItemsPerRun / batch); }

std::int64_t bytes_of(const std::vector<std::vector<Event>>& batches) {
  std::int64_t n = 0;
  for (const auto& b : batches)
    for (const auto& e : b) n += static_cast<std::int64_t>(sizeof(Event) + e.key.size());
  return n;
}

// The batches the simulator makes for 1 worker x 1 branch x `epochs`, one batch of `size` per epoch.
std::vector<std::vector<Event>> prebuilt(std::int64_t size, std::int64_t epochs) {
  std::vector<std::vector<Event>> batches(static_cast<std::size_t>(epochs));
  std::int64_t seq = 0;
  for (std::int64_t e = 0; e < epochs; ++e) {
    for (std::int64_t i = 0; i < size; ++i) {
      batches[static_cast<std::size_t>(e)].push_back(sinkkit_test::event_for(ItemKey{0, 0, e, seq++}));
    }
  }
  return batches;
}

void set_rates(benchmark::State& state, std::int64_t items, std::int64_t bytes) {
  state.SetItemsProcessed(state.iterations() * items);
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["batch"] = static_cast<double>(state.range(0));
}

// Baseline: write_batch each prebuilt batch, then close; nothing else.
void BM_WriteLoop_MemorySink_Baseline(benchmark::State& state) {
  const nlohmann::json cfg = {{"target", "bench"}};
  std::int64_t bytes = 0;
  for (auto _ : state) {
    // Fresh batches per run, as the simulator makes them: reusing one set
    // would keep it warm in cache and flatter the baseline.
    const auto batches = prebuilt(state.range(0), epochs_for(state.range(0)));
    bytes = bytes_of(batches);
    sinkkit::sinks::MemorySink<Event> node;
    auto p = node.build_partition(cfg, 0, 1, nullptr, nullptr);
    const auto start = std::chrono::steady_clock::now();
    for (const auto& b : batches) p.write_batch(b);
    p.close();
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  set_rates(state, state.range(0) * epochs_for(state.range(0)), bytes);
}

// The same calls made by the Simulator, in deterministic mode (the mode of
// most rules; one thread, so no thread start-up or allocator arena is
// measured): an epoch per batch, a trace event per call, the fault plan
// consulted. Timed like the baseline, from the first write_batch to the end
// of close, through the simulator's own hooks.
void BM_Simulator_MemorySink(benchmark::State& state) {
  const auto epochs = epochs_for(state.range(0));
  auto workload = sinkkit::Workload::empty(1, 1, static_cast<int>(epochs));
  for (auto& cell : workload.cells) cell = {static_cast<std::uint32_t>(state.range(0))};
  auto make_item = [](const ItemKey& k) { return sinkkit_test::event_for(k); };
  using Clock = std::chrono::steady_clock;
  Clock::time_point first{}, last{};
  for (auto _ : state) {
    sinkkit::sinks::MemorySink<Event> node;
    first = Clock::time_point{};
    sinkkit::Simulator sim(node, {{"target", "bench"}}, make_item,
                           {.poison_batches = false,
                            .before_write = [&first](const sinkkit::TraceEvent&) {
                              if (first == Clock::time_point{}) first = Clock::now();
                            },
                            .after_close = [&last](const sinkkit::TraceEvent&) { last = Clock::now(); },
                            .items_made_ahead = true});
    const auto trace = sim.run(workload);
    if (trace.aborted) state.SkipWithError(trace.abort_reason.c_str());
    state.SetIterationTime(std::chrono::duration<double>(last - first).count());
  }
  set_rates(state, state.range(0) * epochs, bytes_of(prebuilt(state.range(0), epochs)));
}

// A clean trace of `n` items over 4 partitions in batches of 1,024 and the
// read-back a perfect sink gives: the oracle's common case.
void BM_Oracle_Judge(benchmark::State& state) {
  const auto n = state.range(0);
  constexpr int kPartitions = 4;
  constexpr std::int64_t kBatch = 1024;
  sinkkit::Trace trace;
  trace.workload = sinkkit::Workload::empty(kPartitions, 1, 1);
  std::vector<ItemKey> stored;
  stored.reserve(static_cast<std::size_t>(n));
  std::uint64_t index = 0;
  for (int w = 0; w < kPartitions; ++w) {
    const std::int64_t share = n / kPartitions + (w < n % kPartitions ? 1 : 0);
    for (std::int64_t seq = 0; seq < share; seq += kBatch) {
      sinkkit::TraceEvent ev;
      ev.index = index++;
      ev.kind = sinkkit::CallKind::write_batch;
      ev.partition = sinkkit::PartitionId{w, 0};
      ev.epoch = 0;
      ev.first_seq = seq;
      ev.size = static_cast<std::uint32_t>(std::min(kBatch, share - seq));
      trace.workload.batches(w, 0, 0).push_back(ev.size);
      for (std::uint32_t i = 0; i < ev.size; ++i) stored.push_back(ev.key(i));
      trace.events.push_back(ev);
    }
  }
  sinkkit::Oracle oracle(sinkkit::Capabilities{});
  for (auto _ : state) {
    auto verdict = oracle.judge(trace, stored);
    if (!verdict.clean()) state.SkipWithError("the oracle found violations in a clean run");
    benchmark::DoNotOptimize(verdict);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * n * static_cast<std::int64_t>(sizeof(ItemKey)));
}

BENCHMARK(BM_WriteLoop_MemorySink_Baseline)->RangeMultiplier(4)->Range(16, 65536)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Simulator_MemorySink)->RangeMultiplier(4)->Range(16, 65536)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Oracle_Judge)->Arg(100'000)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
