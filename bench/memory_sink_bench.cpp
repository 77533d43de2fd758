// MemorySink write_batch against the cheapest possible sink: appending the
// same prebuilt batches to a std::vector with no Batch, no lock, no store.

#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <sinkkit/sinks/memory_sink.hpp>
#include <sinkkit_test/events.hpp>

namespace {

using sinkkit_test::Event;

std::vector<Event> prebuilt(std::size_t n) {
  std::vector<Event> batch;
  for (std::size_t i = 0; i < n; ++i) batch.push_back(sinkkit_test::make_event(static_cast<std::int64_t>(i)));
  return batch;
}

void BM_DirectAppend_Baseline(benchmark::State& state) {
  const auto batch = prebuilt(static_cast<std::size_t>(state.range(0)));
  std::vector<Event> store;
  for (auto _ : state) {
    store.insert(store.end(), batch.begin(), batch.end());
    if (store.size() > (1u << 20)) store.clear();  // bound memory, as the sink's target drop does
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_MemorySink_WriteBatch(benchmark::State& state) {
  const auto batch = prebuilt(static_cast<std::size_t>(state.range(0)));
  sinkkit::sinks::MemorySink<Event> node;
  nlohmann::json cfg = {{"target", "bench"}};
  auto p = node.build_partition(cfg, 0, 1, nullptr, nullptr);
  std::size_t stored = 0;
  for (auto _ : state) {
    p.write_batch(batch);
    stored += batch.size();
    if (stored > (1u << 20)) {
      state.PauseTiming();
      node.store()->drop("bench");
      p = node.build_partition(cfg, 0, 1, nullptr, nullptr);
      stored = 0;
      state.ResumeTiming();
    }
  }
  p.close();
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_DirectAppend_Baseline)->RangeMultiplier(16)->Range(1, 65536);
BENCHMARK(BM_MemorySink_WriteBatch)->RangeMultiplier(16)->Range(1, 65536);

}  // namespace
