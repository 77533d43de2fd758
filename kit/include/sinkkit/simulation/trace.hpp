#pragma once
/// \file
/// `Trace`: every call a simulated run made (build, write_batch, close), on
/// which partition, in which epoch, with which items, and how it ended. The
/// oracle judges a trace against the read-back; a failing rule prints it as
/// its counterexample.
///
/// **Example**:
///
///     // trace: what Simulator::run returned
///     std::cout << trace.to_text();              // one line per call
///     nlohmann::json j = trace.to_json();        // for reports
///     std::int64_t acked = 0;
///     for (const auto& e : trace.events)
///       if (e.acknowledged()) acked += e.size;   // the sink returned from write_batch

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <sinkkit/protocol/item_key.hpp>
#include <sinkkit/simulation/fault_plan.hpp>
#include <sinkkit/simulation/workload.hpp>

namespace sinkkit {
inline namespace simulation {

/// How the simulator schedules workers.
enum class ExecutionMode {
  deterministic,  ///< one thread; the interleaving is drawn from the seed, so a run replays exactly
  threaded,       ///< one thread per worker, real concurrency, a barrier between epochs
};

/// Which protocol call an event records.
enum class CallKind { build, write_batch, close };

/// How a call ended.
enum class Outcome { ok, threw };

/// The trace's schema version, bumped on any incompatible change of `to_json`.
inline constexpr int kTraceSchemaVersion = 1;

/// The item key the kit writes over a batch's memory after `write_batch`
/// returns: a sink that kept pointers into the batch stores this key.
inline constexpr ItemKey kPoisonKey{-1, -1, -1, -1};

/// A storage fault the kit injected from outside the sink that fired during
/// a call: which storage call failed, on which file, and what the sink did
/// next within the same call.
struct FiredStorageFault {
  std::string call;  ///< "write", "pwrite64", "fdatasync", "rename", "open", ...; network: the fault kind
  std::string path;  ///< the file (relative to the test target when under it); network: the server
  int error = 0;     ///< the errno returned
  /// A short write came first: it stored `short_written` of `short_asked` bytes.
  std::uint64_t short_written = 0;
  std::uint64_t short_asked = 0;
  /// A later call of the same kind on the same file succeeded in the same
  /// sink call (network: the sink connected again and sent): it retried.
  bool retried = false;
  /// The kit's TCP proxy failed a connection (`call` is the fault kind,
  /// `error` ECONNRESET), rather than its interposer a file.
  bool network = false;
  /// Armed through the sink's own hook (a harness's arm_storage_fault, the
  /// wire `fault` op): the kit saw the call fail with a storage error while
  /// the fault was armed, not which operation failed (`call` is "hook").
  bool hook = false;
  /// The failed call was an fsync or fdatasync (never made good by a retry).
  [[nodiscard]] bool sync() const noexcept { return call == "fsync" || call == "fdatasync"; }
  /// E.g. "fdatasync(part-w0-b0.jsonl) failed with EIO (injected)", or
  /// "the connection to 127.0.0.1:5432 was reset (injected)".
  [[nodiscard]] std::string to_text() const;
  friend bool operator==(const FiredStorageFault&, const FiredStorageFault&) = default;
};

/// One call.
struct TraceEvent {
  std::uint64_t index = 0;  ///< position in call-start order
  CallKind kind = CallKind::build;
  PartitionId partition;
  std::int64_t epoch = -1;       ///< write_batch only
  std::int32_t call = 0;         ///< n-th call of this kind on this partition (0-based)
  std::int64_t first_seq = 0;    ///< write_batch: keys are (partition, epoch, first_seq + i)
  std::uint32_t size = 0;        ///< write_batch: number of items
  bool forwarded = true;         ///< the sink was called (false: the kit failed the call first)
  bool injected = false;         ///< the fault plan made this call fail
  bool after_close = false;      ///< write_batch made after the partition was closed
  Outcome outcome = Outcome::ok; ///< the call as the runtime saw it
  Outcome sink_outcome = Outcome::ok;  ///< what the sink itself did, when forwarded
  std::string error_kind;        ///< config | closed | write | bridge | invalid_argument | other | injected
  std::string message;           ///< the error's message
  /// A storage fault the kit injected from outside fired during this call.
  std::optional<FiredStorageFault> storage_fault;
  std::int64_t start = 0;        ///< ns since run start (threaded) or logical ticks (deterministic)
  std::int64_t end = 0;
  /// The sink's own time in the call, in ns, as its process measured it (a
  /// wire sink's adapter reports it with each write_batch); -1 if unknown.
  std::int64_t sink_ns = -1;
  /// close: the async bridge's tasks still queued or running when it
  /// returned (the kit's bridge in process; the sink process's own bridge,
  /// as it reports it, over the wire). A close that returns before the work
  /// it handed the bridge is done breaks SK-6.1.
  std::int64_t bridge_in_flight = 0;

  /// The sink itself failed this call: not a fault the kit injected (before
  /// or after it, or in its storage), not a write after close (which must
  /// fail), not the crash rule's planned kill.
  [[nodiscard]] bool sink_failed_on_its_own() const noexcept {
    return forwarded && sink_outcome != Outcome::ok && !injected && !storage_fault && !after_close &&
           error_kind != "killed";
  }
  /// The sink returned normally from this write_batch: its items are acknowledged.
  [[nodiscard]] bool acknowledged() const noexcept {
    return kind == CallKind::write_batch && forwarded && sink_outcome == Outcome::ok;
  }
  /// The sink was handed this write_batch's items (they may be in storage).
  [[nodiscard]] bool attempted() const noexcept { return kind == CallKind::write_batch && forwarded; }
  /// Key of item `i` of a write_batch.
  [[nodiscard]] ItemKey key(std::uint32_t i) const noexcept {
    return ItemKey{partition.worker, partition.branch, epoch, first_seq + i};
  }
  /// One line, e.g. "#4 write_batch w1.b0 e2 #1 [s3..s7] 5 items: ok".
  [[nodiscard]] std::string to_text() const;
};

/// A whole run.
struct Trace {
  ExecutionMode mode = ExecutionMode::deterministic;
  std::uint64_t seed = 0;
  Workload workload;
  FaultPlan plan;
  std::vector<TraceEvent> events;
  bool aborted = false;
  std::string abort_reason;

  /// Header line plus one line per event; `max_events` > 0 keeps the first
  /// and last events and elides the middle.
  [[nodiscard]] std::string to_text(std::size_t max_events = 0) const;
  /// Versioned JSON (`schema_version`), every field of every event.
  [[nodiscard]] nlohmann::json to_json() const;
  /// Reads what `to_json` wrote; throws `std::invalid_argument` on a wrong
  /// schema version or shape.
  static Trace from_json(const nlohmann::json& j);

  /// Events of one kind on one partition, in order.
  [[nodiscard]] std::vector<const TraceEvent*> calls(CallKind kind, PartitionId partition) const;
  /// Items handed to the sink / acknowledged by it, over the run.
  [[nodiscard]] std::int64_t attempted_items() const;
  [[nodiscard]] std::int64_t acknowledged_items() const;
};

std::string_view to_string(ExecutionMode m);
std::string_view to_string(CallKind k);

}  // namespace simulation
}  // namespace sinkkit
