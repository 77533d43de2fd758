#pragma once
/// \file
/// `FaultPlan`: what goes wrong in a simulated run. Faults are injected by the
/// kit around the sink's calls (the sink's code is never modified), except
/// storage faults, which the sink's harness arms in the sink's own storage.
///
/// **Example**:
///
///     sinkkit::FaultPlan plan;
///     plan.write_faults.push_back({.worker = 1, .branch = 0, .call = 2,
///                                  .timing = sinkkit::FaultTiming::after_forwarding});
///     plan.close_calls = 3;  // close is called three times per partition
///     std::cout << plan.describe();  // "write_batch #2 on w1.b0 throws after the sink returned; close x3"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sinkkit {
inline namespace simulation {

/// Identifies a partition in a simulated run: its worker and router branch.
struct PartitionId {
  int worker = 0;
  int branch = 0;
  friend auto operator<=>(const PartitionId&, const PartitionId&) = default;
};

/// "w<worker>.b<branch>".
std::string to_string(const PartitionId& p);

/// When an injected write fault fires relative to the sink's call.
enum class FaultTiming {
  before_forwarding,  ///< the kit throws instead of calling the sink: nothing was handed over
  after_forwarding,   ///< the sink returned (acknowledged), then the kit throws: the run fails anyway
};

/// The kit makes the n-th `write_batch` call (0-based, counting every call of
/// that partition, empty ones included) on a partition throw.
struct WriteFault {
  int worker = 0;
  int branch = 0;
  int call = 0;
  FaultTiming timing = FaultTiming::before_forwarding;
  friend bool operator==(const WriteFault&, const WriteFault&) = default;
};

/// What a storage fault does when the kit injects it from outside the sink
/// (its file-system interposer or its TCP proxy; a harness's own hook decides
/// for itself).
enum class StorageFaultKind {
  any_call,     ///< the first storage call (write, fsync, rename, create) fails
  write_error,  ///< a write fails
  sync_error,   ///< an fsync or fdatasync fails
  short_write,  ///< a write stores only part of its bytes; the next storage call fails (a full disk)
  // Network (the proxy), on the connection that carries the next request:
  connection_reset,  ///< reset at once; the request never reaches the server
  stall,             ///< nothing goes through either way; reset after the stall time
  drop_requests,     ///< requests vanish, replies still come; reset after the stall time
  drop_replies,      ///< requests reach the server, replies vanish (it may commit); reset after the stall time
};

/// True for the kinds the TCP proxy injects.
[[nodiscard]] constexpr bool is_network(StorageFaultKind k) noexcept {
  return k == StorageFaultKind::connection_reset || k == StorageFaultKind::stall ||
         k == StorageFaultKind::drop_requests || k == StorageFaultKind::drop_replies;
}

/// The sink's storage fails once, on the partition's first storage call
/// after `after_items` more items were handed to it (a harness hook: the
/// write that takes the partition past them; the wire protocol's `fault` op).
struct StorageFault {
  int worker = 0;
  int branch = 0;
  std::int64_t after_items = 0;
  StorageFaultKind kind = StorageFaultKind::any_call;
  int error = 5;  ///< the errno returned: EIO (5), ENOSPC (28) or EDQUOT (122); network kinds: unused
  int skip = 0;   ///< aimed storage calls (network: requests) let through first (0..2): a later one fails
  friend bool operator==(const StorageFault&, const StorageFault&) = default;
};

/// "any call", "write", "fsync", "short write", "connection reset", "stall",
/// "requests dropped", "replies dropped".
std::string to_string(StorageFaultKind kind);
/// "EIO", "ENOSPC", "EDQUOT" (or "errno N").
std::string errno_name(int error);

/// Everything that goes wrong in one run. The default plan is a clean run.
struct FaultPlan {
  /// build_partition on this worker throws (injected; the sink is not called).
  std::optional<int> fail_build_on_worker;
  std::vector<WriteFault> write_faults;
  /// After this epoch completes, the run aborts (as a failure elsewhere in
  /// the dataflow would): no later epoch starts; every partition is closed.
  std::optional<int> abort_after_epoch;
  /// How many times close is called on every partition (1..5).
  int close_calls = 1;
  /// These partitions are built and closed but get no write at all.
  std::vector<PartitionId> no_writes;
  std::vector<StorageFault> storage_faults;
  /// After their last close, these partitions get one more write_batch (the
  /// next items of their sequence), as a buggy runtime or a retry might do.
  std::vector<PartitionId> write_after_close;
  /// A failed write_batch does not abort the run: the partition keeps getting
  /// its later batches (a runtime that retries, or a sink reused after an
  /// error). Off by default: loom aborts the run on the first error.
  bool keep_writing_after_failure = false;

  /// True when nothing is planned to go wrong.
  [[nodiscard]] bool clean() const;
  /// One line for counterexamples, e.g. "clean" or "build fails on w2; close x2".
  [[nodiscard]] std::string describe() const;
  /// Throws `std::invalid_argument` naming the first entry that does not fit
  /// `workers` x `branches` (or a close_calls out of range).
  void validate(int workers, int branches) const;

  friend bool operator==(const FaultPlan&, const FaultPlan&) = default;
};

/// Which faults a generated plan may contain.
struct FaultMix {
  bool build_failures = true;
  bool write_failures = true;
  bool aborts = true;
  bool repeated_closes = true;
  bool no_write_partitions = true;
  bool storage_faults = false;  ///< only for sinks whose harness can arm them
};

/// A fault plan for a workload of `workers` x `branches` x `epochs`, drawn
/// from `mix` by a seed (each kind present with probability 1/4): the same
/// seed gives the same plan on every platform.
FaultPlan make_fault_plan(int workers, int branches, int epochs, std::uint64_t seed, FaultMix mix = {});

void to_json(nlohmann::json& j, const FaultPlan& f);
void from_json(const nlohmann::json& j, FaultPlan& f);

}  // namespace simulation
}  // namespace sinkkit
