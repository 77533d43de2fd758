#pragma once
/// \file
/// RapidCheck generators for workloads and fault plans. They shrink toward
/// the smallest failing run: fewer workers and epochs, fewer and smaller
/// batches, fewer faults.
///
/// **Example**:
///
///     #include <sinkkit/judgement/oracle.hpp>
///     #include <sinkkit/runners/harness.hpp>
///     rc::check("MySink never loses an acknowledged item", [] {
///       const auto workload = *sinkkit::gen::workload({.max_workers = 4});
///       const auto plan = *sinkkit::gen::fault_plan(workload);
///       sinkkit::HarnessSink<MyHarness> sut;
///       sinkkit::Trace trace = sut.run(config, {.workload = workload, .plan = plan});
///       RC_ASSERT(sinkkit::Oracle(sut.capabilities()).judge(trace, sut.read_back(config).keys).clean());
///     });

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <rapidcheck.h>
#include <sinkkit/simulation/fault_plan.hpp>
#include <sinkkit/simulation/workload.hpp>

namespace sinkkit {
inline namespace simulation {
namespace gen {

/// Workloads within `shape`: dimensions first, then per cell a list of batch
/// sizes (mostly non-empty; an empty batch now and then).
inline rc::Gen<Workload> workload(WorkloadShape shape = {}) {
  struct Dims {
    int workers, epochs;
  };
  auto dims = rc::gen::apply([](int w, int e) { return Dims{w, e}; },
                             rc::gen::inRange(shape.min_workers, shape.max_workers + 1),
                             rc::gen::inRange(shape.min_epochs, shape.max_epochs + 1));
  return rc::gen::mapcat(dims, [shape](Dims d) {
    const auto cells = static_cast<std::size_t>(d.workers) * static_cast<std::size_t>(shape.branches) *
                       static_cast<std::size_t>(d.epochs);
    // Frequencies, not a filter, so shrinking stays cheap: 0 is rare.
    auto size = rc::gen::weightedOneOf<std::uint32_t>(
        {{static_cast<std::size_t>(shape.empty_batch_percent), rc::gen::just<std::uint32_t>(0)},
         {100 - static_cast<std::size_t>(shape.empty_batch_percent),
          rc::gen::inRange<std::uint32_t>(1, shape.max_batch_size + 1)}});
    // The count is drawn on its own: gen::resize would also shrink the
    // sizes, since inRange scales with the generation size.
    auto cell = rc::gen::mapcat(rc::gen::inRange(0, shape.max_batches_per_epoch + 1), [size](int count) {
      return rc::gen::container<std::vector<std::uint32_t>>(static_cast<std::size_t>(count), size);
    });
    return rc::gen::map(rc::gen::container<std::vector<std::vector<std::uint32_t>>>(cells, cell),
                        [d, shape](std::vector<std::vector<std::uint32_t>> c) {
                          Workload w = Workload::empty(d.workers, shape.branches, d.epochs);
                          w.cells = std::move(c);
                          return w;
                        });
  });
}

/// Fault plans that fit `w`: each kind of fault present or not, so a
/// failure shrinks to the one fault that matters (or to a clean run).
inline rc::Gen<FaultPlan> fault_plan(const Workload& w, FaultMix mix = {}) {
  const int workers = w.workers, branches = w.branches, epochs = std::max(w.epochs, 1);
  // Present one time in four; rc::gen::maybe shrinks to "absent" first, so a
  // failure sheds every fault it does not need.
  auto maybe = [](bool allowed, auto g) {
    using T = typename decltype(g)::ValueType;
    if (!allowed) return rc::gen::just(std::optional<T>{});
    return rc::gen::mapcat(rc::gen::weightedElement<bool>({{3, false}, {1, true}}), [g](bool on) {
      if (!on) return rc::gen::just(std::optional<T>{});
      return rc::gen::map(rc::gen::maybe(g), [](rc::Maybe<T> m) { return m ? std::optional<T>(*m) : std::nullopt; });
    });
  };
  auto partition = rc::gen::apply([](int wk, int b) { return PartitionId{wk, b}; }, rc::gen::inRange(0, workers),
                                  rc::gen::inRange(0, branches));
  auto write_fault = rc::gen::apply(
      [](PartitionId p, int call, bool after) {
        return WriteFault{p.worker, p.branch, call,
                          after ? FaultTiming::after_forwarding : FaultTiming::before_forwarding};
      },
      partition, rc::gen::inRange(0, 6), rc::gen::arbitrary<bool>());
  auto storage_fault = rc::gen::apply(
      [](PartitionId p, std::int64_t after) { return StorageFault{p.worker, p.branch, after}; }, partition,
      rc::gen::inRange<std::int64_t>(0, 200));
  return rc::gen::apply(
      [](std::optional<int> build, std::optional<WriteFault> write, std::optional<int> abort_after, int closes,
         std::optional<PartitionId> idle, std::optional<StorageFault> storage) {
        FaultPlan plan;
        plan.fail_build_on_worker = build;
        if (write) plan.write_faults.push_back(*write);
        plan.abort_after_epoch = abort_after;
        plan.close_calls = closes;
        if (idle) plan.no_writes.push_back(*idle);
        if (storage) plan.storage_faults.push_back(*storage);
        return plan;
      },
      maybe(mix.build_failures, rc::gen::inRange(0, workers)), maybe(mix.write_failures, write_fault),
      maybe(mix.aborts, rc::gen::inRange(0, epochs)),
      rc::gen::map(maybe(mix.repeated_closes, rc::gen::inRange(2, 6)), [](std::optional<int> n) { return n.value_or(1); }),
      maybe(mix.no_write_partitions, partition), maybe(mix.storage_faults, storage_fault));
}

}  // namespace gen
}  // namespace simulation
}  // namespace sinkkit
