#pragma once
/// \file
/// `StorageFaultInjector`: makes a sink's storage fail from outside the sink,
/// for the plan's storage faults, when the sink has no hook of its own. The
/// simulator opens a window around each call (write_batch or close) of the
/// faulty partition, from the first one that takes it past the fault's
/// `after_items`, until the fault fires; the injector fails the first aimed
/// storage call made inside a window. Outside faults need the deterministic
/// mode (one call at a time). The kit's file-system interposer is one
/// (docs/faults.md).
///
/// **Example** (an injector that only records its windows):
///
///     struct Recorder final : sinkkit::StorageFaultInjector {
///       std::vector<sinkkit::PartitionId> windows;
///       void arm(sinkkit::PartitionId p, const sinkkit::StorageFault&) override { windows.push_back(p); }
///       std::optional<sinkkit::FiredStorageFault> disarm(sinkkit::PartitionId) override { return std::nullopt; }
///     };
///     Recorder recorder;
///     sinkkit::SimulatorOptions options{.storage_fault_injector = &recorder};

#include <optional>

#include <sinkkit/simulation/fault_plan.hpp>
#include <sinkkit/simulation/trace.hpp>

namespace sinkkit {
inline namespace simulation {

/// Injects storage faults around a sink from outside it.
class StorageFaultInjector {
 public:
  virtual ~StorageFaultInjector() = default;
  /// Opens a window: the next call on `p` may have its storage fail as `fault` says.
  virtual void arm(PartitionId p, const StorageFault& fault) = 0;
  /// Closes the window opened for `p`; what failed, if the fault fired in it.
  virtual std::optional<FiredStorageFault> disarm(PartitionId p) = 0;
};

}  // namespace simulation
}  // namespace sinkkit
