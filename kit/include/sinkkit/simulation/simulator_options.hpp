#pragma once
/// \file
/// `SimulatorOptions`: the knobs of a simulated run (mode, seed, payload view,
/// poisoning, the bridge and session manager handed to builds, and the hooks
/// rules use to watch a run). Its own header so that code which only asks for
/// runs (the rules, the wire runner) does not compile the simulator.
///
/// **Example**:
///
///     sinkkit::SimulatorOptions options{.mode = sinkkit::ExecutionMode::threaded, .seed = 7};
///     options.view = sinkkit::PayloadView::subtype;  // batches of a subtype of the payload
///     options.after_write = [](const sinkkit::TraceEvent& e) { (void)e.acknowledged(); };

#include <cstdint>
#include <functional>

#include <sinkkit/protocol/async_bridge.hpp>
#include <sinkkit/simulation/trace.hpp>

namespace sinkkit {
inline namespace simulation {
class StorageFaultInjector;
}
}  // namespace sinkkit

namespace sinkkit {
inline namespace simulation {

/// How the simulator lays out the items it hands to `write_batch`.
enum class PayloadView {
  exact,    ///< a plain array of the payload type
  subtype,  ///< an array of `SubtypeOf<payload>`: the payload at a non-zero offset, larger stride
};

/// Knobs of a simulated run.
struct SimulatorOptions {
  ExecutionMode mode = ExecutionMode::deterministic;
  /// Draws the interleaving (deterministic mode) and nothing else.
  std::uint64_t seed = 0;
  PayloadView view = PayloadView::exact;
  /// Overwrite each batch's memory with `kPoisonKey` items once write_batch
  /// returns, so a sink that kept pointers into it stores garbage visibly.
  /// (Each batch's memory lives until the run ends, poisoned or not: such a
  /// sink never reads freed memory.)
  bool poison_batches = true;
  /// The seq every partition's keys start from: a second run on the same
  /// target (rescaling, restart after a crash) starts past the first run's
  /// keys. (`TraceEvent::first_seq` is another thing: one write's first seq.)
  std::int64_t start_seq = 0;
  AsyncBridge* bridge = nullptr;
  void* session_manager = nullptr;
  /// Arms a storage fault in the sink's storage (the harness's hook). Called
  /// right after the partition's build succeeded. Required when the plan has
  /// storage faults.
  std::function<void(PartitionId, std::int64_t after_items)> arm_storage_fault;
  /// Or: the plan's storage faults come from outside the sink
  /// (storage_fault_injector.hpp). Used when `arm_storage_fault` is empty.
  StorageFaultInjector* storage_fault_injector = nullptr;
  /// Called after every acknowledged write_batch (from the worker's thread in
  /// threaded mode, so it must be thread-safe there): lets a rule read back
  /// mid-run.
  std::function<void(const TraceEvent&)> after_write;
  /// Called right before the sink is handed a write_batch (not for writes the
  /// plan fails before forwarding): lets a crash test know what the sink may
  /// have stored when the process dies.
  std::function<void(const TraceEvent&)> before_write;
  /// Called after every close call, from the closing thread: lets a rule
  /// check what must hold the moment close returns.
  std::function<void(const TraceEvent&)> after_close;
  /// Threaded mode: make races show whatever the seed (rule SK-2.10). In each
  /// epoch the workers start their calls in rounds, released together by
  /// spinning (a futex wakes threads tens of microseconds apart, longer than
  /// most calls), each call after a delay drawn from the seed (none, or a
  /// busy wait of up to 10 us), so that calls which can race overlap, and at
  /// a different point in each case. Off for the benchmarks.
  bool perturb_schedule = false;
  /// Make every batch's items when the partition is built, before any data,
  /// instead of right before each write_batch: the calls then cost what the
  /// protocol costs, which is what the benchmarks compare against a plain
  /// loop over prebuilt batches. Holds every item of the run in memory.
  bool items_made_ahead = false;
};

}  // namespace simulation
}  // namespace sinkkit
