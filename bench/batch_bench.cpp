// Batch iteration over the exact payload type versus over subtypes (larger,
// non-first base): what contravariant acceptance costs a sink per item.

#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit_test/events.hpp>

namespace {

using sinkkit::Batch;
using sinkkit_test::Event;

template <class D>
void BM_Batch_Iterate(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<D> items(n);
  for (std::size_t i = 0; i < n; ++i) static_cast<Event&>(items[i]).value = static_cast<std::int64_t>(i);
  for (auto _ : state) {
    Batch<Event> batch(items);
    std::int64_t sum = 0;
    for (const Event& e : batch) sum += e.value;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n * sizeof(D)));
}

// Baseline: a plain loop over std::vector<Event>, no Batch at all.
void BM_Batch_Iterate_RawVectorBaseline(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<Event> items(n);
  for (std::size_t i = 0; i < n; ++i) items[i].value = static_cast<std::int64_t>(i);
  for (auto _ : state) {
    std::int64_t sum = 0;
    for (const Event& e : items) sum += e.value;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n * sizeof(Event)));
}

BENCHMARK(BM_Batch_Iterate_RawVectorBaseline)->Arg(4096);
BENCHMARK(BM_Batch_Iterate<Event>)->Name("BM_Batch_Iterate_Exact")->Arg(4096);
BENCHMARK(BM_Batch_Iterate<sinkkit_test::TaggedEvent>)->Name("BM_Batch_Iterate_NonFirstBase")->Arg(4096);
BENCHMARK(BM_Batch_Iterate<sinkkit_test::WideEvent>)->Name("BM_Batch_Iterate_WideSubtype")->Arg(4096);

}  // namespace
