// What the kit itself costs, each against a baseline measured in the same
// binary and run (docs/performance.md; targets in bench/targets.json):
// - the Simulator driving MemorySink vs a plain loop of write_batch calls on
//   the same prebuilt batches (target: >= 0.9 of the loop at batch >= 256);
// - the Oracle judging 10^5..10^7 items (target: >= 20 M items/s, and linear:
//   per-item time at 10^7 within 1.5x of that at 10^5, read-backs cold at
//   every size), with a plain read of the keys as the memory's own floor.
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
struct CleanRun {
  sinkkit::Trace trace;
  std::vector<ItemKey> stored;
};

CleanRun clean_run(std::int64_t n) {
  constexpr int kPartitions = 4;
  constexpr std::int64_t kBatch = 1024;
  CleanRun run;
  run.trace.workload = sinkkit::Workload::empty(kPartitions, 1, 1);
  run.stored.reserve(static_cast<std::size_t>(n));
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
      run.trace.workload.batches(w, 0, 0).push_back(ev.size);
      for (std::uint32_t i = 0; i < ev.size; ++i) run.stored.push_back(ev.key(i));
      run.trace.events.push_back(ev);
    }
  }
  return run;
}

void set_key_rates(benchmark::State& state, std::int64_t n) {
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * n * static_cast<std::int64_t>(sizeof(ItemKey)));
}

// Judges the clean run of `n` items, each iteration reading the next of
// `copies` copies of its read-back.
void judge_clean_run(benchmark::State& state, std::size_t copies) {
  const auto n = state.range(0);
  const auto run = clean_run(n);
  std::vector<std::vector<ItemKey>> stored(copies, run.stored);
  sinkkit::Oracle oracle(sinkkit::Capabilities{});
  std::size_t next = 0;
  for (auto _ : state) {
    auto verdict = oracle.judge(run.trace, stored[next]);
    next = (next + 1) % copies;
    if (!verdict.clean()) state.SkipWithError("the oracle found violations in a clean run");
    benchmark::DoNotOptimize(verdict);
  }
  set_key_rates(state, n);
}

// The same read-back judged again and again: at 10^5 it stays in the caches.
void BM_Oracle_Judge(benchmark::State& state) { judge_clean_run(state, 1); }

// Linearity: each judgement reads a read-back the caches have not seen (the
// iterations rotate through copies worth 256 MiB), as a real run's read-back
// arrives, so that 10^5 and 10^7 items are compared on equal terms. Judged
// warm, 10^5 keys come from the cache and 10^7 from memory, and the ratio
// measures the memory hierarchy (BM_ReadKeys shows a plain loop over the
// keys slows down more than the oracle does).
void BM_Oracle_Judge_ColdReadBack(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0)) * sizeof(ItemKey);
  judge_clean_run(state, std::max<std::size_t>(1, (std::size_t{256} << 20) / bytes));
}

// The floor under any judgement: one pass reading every key, nothing else.
void BM_ReadKeys(benchmark::State& state) {
  const auto n = state.range(0);
  const auto run = clean_run(n);
  for (auto _ : state) {
    std::int64_t sum = 0;
    for (const auto& k : run.stored) sum += k.worker ^ k.branch ^ k.epoch ^ k.seq;
    benchmark::DoNotOptimize(sum);
  }
  set_key_rates(state, n);
}

BENCHMARK(BM_WriteLoop_MemorySink_Baseline)->RangeMultiplier(4)->Range(16, 65536)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Simulator_MemorySink)->RangeMultiplier(4)->Range(16, 65536)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Oracle_Judge)->Arg(100'000)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Oracle_Judge_ColdReadBack)->Arg(100'000)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadKeys)->Arg(100'000)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
