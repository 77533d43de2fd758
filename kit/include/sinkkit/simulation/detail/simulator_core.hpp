#pragma once
/// \file
/// The simulator's core, compiled once in the kit (scheduling, barriers,
/// faults, trace events, abort), and the small ports through which it reaches
/// a typed node: one virtual call per protocol call, never per item. Only
/// `Simulator<Node, MakeItem>` (simulation/simulator.hpp) is typed on the
/// payload; it implements these ports and hands them to `run_simulation`.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <sinkkit/simulation/fault_plan.hpp>
#include <sinkkit/simulation/simulator_options.hpp>
#include <sinkkit/simulation/trace.hpp>
#include <sinkkit/simulation/workload.hpp>

namespace sinkkit::detail {

/// One write_batch call of a partition, known before the run starts: its
/// items are keyed (partition, epoch, first_seq + i) for i < size.
struct PlannedWrite {
  std::int64_t epoch = 0;
  std::int64_t first_seq = 0;
  std::uint32_t size = 0;
};

/// One built partition as the core drives it.
/// A port whose sink measured its own time in the call that is running on
/// this thread (a wire sink's adapter reports it) tells the simulator here;
/// the call's trace event takes it (`TraceEvent::sink_ns`).
void report_sink_time(std::int64_t ns) noexcept;
/// The same for the bridge tasks a sink process still ran when a close
/// returned (`TraceEvent::bridge_in_flight`; in process the simulator counts
/// its own bridge's).
void report_bridge_in_flight(std::int64_t tasks) noexcept;

class PartitionPort {
 public:
  virtual ~PartitionPort() = default;
  /// Hands the sink the items of `write` (keys from `write.key(i)`), then
  /// poisons the batch's memory if asked. Throws what the sink throws.
  virtual void write_batch(const TraceEvent& write) = 0;
  /// Forwards one close call. Throws what the sink throws.
  virtual void close() = 0;
  /// Makes the items of every planned write now (`items_made_ahead`), in
  /// call order; `write_batch` then uses them instead of making its own.
  virtual void make_items_ahead(const PartitionId& id, const std::vector<PlannedWrite>& writes) = 0;
};

/// The node as the core drives it.
class NodePort {
 public:
  virtual ~NodePort() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual bool router_branch_safe() const = 0;
  /// The payload is a non-final class, so `PayloadView::subtype` can be laid out.
  [[nodiscard]] virtual bool subtype_view_possible() const = 0;
  /// Calls the node's build_partition. Throws what the sink throws.
  virtual std::unique_ptr<PartitionPort> build(int worker_index, int worker_count) = 0;
};

/// Runs `workload` under `plan` on `node` and returns the trace; see
/// `Simulator::run` for the contract.
Trace run_simulation(NodePort& node, const SimulatorOptions& options, const Workload& workload, const FaultPlan& plan);

}  // namespace sinkkit::detail
