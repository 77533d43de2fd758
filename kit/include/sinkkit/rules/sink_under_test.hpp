#pragma once
/// \file
/// `SinkUnderTest`: the small interface every rule is written against. The
/// in-process runner implements it over a C++ `Harness` (runners/harness.hpp);
/// the wire-protocol client implements it over a sink process. Items cross it
/// as `ItemKey`s only, so the rules never see a payload type.
///
/// **Example** (what a rule does with it):
///
///     #include <sinkkit/judgement/oracle.hpp>
///     #include <sinkkit/runners/harness.hpp>
///     sinkkit::HarnessSink<MyHarness> sut;             // or a WireSink: the rules cannot tell
///     sinkkit::TestTarget target{"/tmp/sinkkit-t1", "t1"};  // the kit makes a fresh one per case
///     nlohmann::json config = sut.make_config(target);
///     sinkkit::Workload w = sinkkit::Workload::empty(2, 1, 1);
///     for (auto& cell : w.cells) cell = {16};
///     sinkkit::Trace trace = sut.run(config, {.workload = w, .simulation = {.seed = 7}});
///     sinkkit::ReadBack stored = sut.read_back(config);
///     sinkkit::Verdict v = sinkkit::Oracle(sut.capabilities()).judge(trace, stored.keys);

#include <chrono>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/async_bridge.hpp>
#include <sinkkit/protocol/capabilities.hpp>
#include <sinkkit/protocol/item_key.hpp>
#include <sinkkit/simulation/fault_plan.hpp>
#include <sinkkit/simulation/session_manager.hpp>
#include <sinkkit/simulation/simulator_options.hpp>
#include <sinkkit/simulation/trace.hpp>
#include <sinkkit/simulation/workload.hpp>

namespace sinkkit {
inline namespace rules {

/// A fresh, isolated place for one test case's data: an empty directory (the
/// kit removes it afterwards) and an id unique in this run.
struct TestTarget {
  std::filesystem::path dir;
  std::string id;
};

/// A config that build must reject with a ConfigError naming `key`. With
/// `must_reject` false it is a probe (a key dropped, a wrong type, a null):
/// build may accept it, but if it refuses, it must be that ConfigError.
struct InvalidConfig {
  nlohmann::json config;
  std::string key;
  bool must_reject = true;
};

/// What storage holds, as keys in stored order.
struct ReadBack {
  std::vector<ItemKey> keys;
  /// Stored items that are not the item their key was written with (the
  /// payload projection differs: a torn record, the wrong bytes).
  std::int64_t corrupted = 0;
  std::string first_corruption;  ///< describes the first corrupted item
  /// The sink's own reader failed on what its storage holds (the error it
  /// raised, or over the wire answered; `keys` is then empty): a finding
  /// about the sink's storage, not a failure of the kit.
  std::optional<std::string> unreadable;
};

/// One simulated run, as the rules ask for it: what to run, and the
/// simulator's options (mode, seed, payload view, poisoning, first seq, the
/// bridge and session manager handed to builds, and the rules' hooks). The
/// sink under test fills in `arm_storage_fault` and `before_write` itself.
struct RunRequest {
  Workload workload;
  FaultPlan plan;
  SimulatorOptions simulation;
  /// Where the kit makes the test targets: storage faults injected from
  /// outside the sink hit only files under it.
  std::filesystem::path target_root;
};

/// How the kit makes a sink's storage fail (rules SK-4.1, SK-4.2, SK-4.5).
enum class StorageFaultMechanism {
  none,         ///< it cannot: those rules are untested
  hook,         ///< the sink's own hook (a harness's arm_storage_fault, the wire `fault` op)
  file_system,  ///< the kit's file-system interposer, around the unmodified sink
  network,      ///< the kit's TCP fault proxy, between the unmodified sink and its server
};
/// "none", "hook", "file system", "network".
std::string to_string(StorageFaultMechanism m);

/// What a sink's own process saw of the async bridge and the session manager
/// it was handed, over the last run (out of process, where the kit cannot
/// look: the wire adapter reports it after every close).
struct BorrowedResources {
  /// The most bridge work still queued or running when a close returned, and that close.
  std::int64_t bridge_in_flight_after_close = 0;
  std::string that_close;
  /// The sink disposed the manager it does not own.
  bool session_manager_disposed = false;
  /// Sessions still leased when the last close of each process returned.
  std::int64_t sessions_leased = 0;
};

/// What one process hosting the sink holds, as Linux shows it under /proc.
struct ProcessResources {
  int pid = 0;
  /// Its open descriptors, each with what it is open on: a file's path, "a
  /// TCP socket 127.0.0.1:41234 -> 127.0.0.1:6379", "a pipe", ...
  std::map<int, std::string> descriptors;
  int threads = 0;
  /// Its child processes still running (or not reaped): pid -> command name.
  std::map<int, std::string> children;
  friend bool operator==(const ProcessResources&, const ProcessResources&) = default;
};

/// The processes hosting the sink, looked at once (rule SK-3.5): the kit's
/// own process for a harness, each sink process over the wire.
struct ResourceUsage {
  std::vector<ProcessResources> processes;
  friend bool operator==(const ResourceUsage&, const ResourceUsage&) = default;
};

/// Where a crash run's kill (SK-4.3) or power cut (SK-4.6) lands: in the
/// write that comes after `after_acks` acknowledged ones, `into_write` of the
/// run's mean write time (wall clock, request to answer; a millisecond while
/// none is acknowledged) after the sink was handed it (0: before the sink
/// has it, in process and over the wire alike; 0.5: about midway; past 1:
/// mostly after the sink finished it, before its answer counts). Crashes
/// come in the middle of a sink's work: a kill that always landed before it
/// missed a write that truncates first. From a count alone, the kill lands
/// before the write is handed over.
///
///     sut.run_and_kill(config, request, sinkkit::KillPoint{3, 0.5});
struct KillPoint {
  KillPoint(std::int64_t after = 0, double into = 0) : after_acks(after), into_write(into) {}  // NOLINT: from a count
  template <std::floating_point F>
  KillPoint(F) = delete;  // a fraction alone would be read as a count
  std::int64_t after_acks = 0;
  double into_write = 0;
  /// How long after the hand-over the kill comes, `acked_ns` being the time
  /// of `acks` acknowledged writes: `into_write` of their mean.
  [[nodiscard]] std::chrono::nanoseconds delay_after(std::int64_t acks, std::int64_t acked_ns) const;
};
/// "in the write after 3 acknowledged, 0.62 of a write's time into it".
std::string to_string(const KillPoint& k);

/// What a crash run saw before the kill (SK-4.3).
struct CrashRun {
  /// The write_batch calls the sink was handed before the kill, as a trace:
  /// the acknowledged ones `ok`, the one in flight at the kill failed with
  /// kind "killed" (no close events: the process died).
  Trace writes;
  bool killed = false;  ///< false: the run ended before the kill point
  std::string note;     ///< how the child ended, for the report
};

/// Where between the strict state and the page cache's a power cut leaves
/// the disk (SK-4.6): with `strict`, only what was synced; else what `seed`
/// draws (each file a prefix of its unsynced writes, each directory each of
/// its unsynced name changes or not).
struct PowerCutState {
  bool strict = true;
  std::uint64_t seed = 0;
};

/// What a power cut left (SK-4.6).
struct PowerCut {
  /// The calls before the cut (the closes too when the run ended first),
  /// the cut's account as its abort reason.
  Trace writes;
  bool mid_run = false;  ///< the cut came during a write (else right after the run's closes)
  /// "2 unsynced writes of part-w0.jsonl dropped, the name part-w1.jsonl not
  /// yet durable", or "nothing written was unsynced".
  std::string state;
  bool wrote = false;  ///< the sink changed anything under its target before the cut
  /// The same cut in another crash state: the sink's processes killed again,
  /// the target rewritten to it (from the run's journal, kept while a
  /// PowerCut of this cut lives), the same writes with its account; then
  /// recover and read back again. Several states of one run cost one run.
  /// The sink under test must outlive it (it throws if the journal is gone).
  /// Empty when the sink under test cannot.
  std::function<PowerCut(PowerCutState)> recut;
};

/// A run of a sink with stateful partitions (Bytewax's FixedPartitionedSink;
/// rules SK-7.x), driven as Bytewax drives one: its parts are the sink's
/// (sorted), each item goes to the part its key routes to (`part_fn`), part i
/// lives on worker i % workers, and every part's snapshot is taken at the
/// end of every epoch. A crash kills every worker; the resume rebuilds every
/// part with the snapshot of the last epoch whose snapshots were all taken,
/// and delivers the items of the epochs after it again.
struct StatefulRequest {
  /// The input: worker w's batches of each epoch (keys w.0.e.seq), each
  /// split over the parts its items route to.
  Workload workload;
  /// Every worker killed during the part write that follows this many
  /// acknowledged ones (or, after an epoch's last write, before its
  /// snapshots), taken modulo the first run's part writes + 1 so that every
  /// request crashes (-1: no crash).
  std::int64_t crash_after = -1;
  /// The worker count after the crash (0: the workload's).
  int resume_workers = 0;
  /// After the input (no crash), each part is built again, on fresh
  /// processes, with the next part's last snapshot (SK-7.4), and the run
  /// ends after those builds.
  bool foreign_snapshots = false;
};

/// What a stateful run did.
struct StatefulRun {
  /// The calls as the input saw them: each input batch one write_batch event
  /// on its input worker's partition (ok when all its part writes were), the
  /// first run's then the resume's, and a close per input worker at the end
  /// (ok when every part's close was).
  Trace trace;
  std::vector<std::string> parts;  ///< the sink's, sorted
  bool crashed = false;
  /// The epoch whose snapshots the resume used (-1: none, every part afresh).
  std::int64_t resumed_from_epoch = -1;
  /// A call of the stateful protocol the sink failed (build_part, snapshot,
  /// list_parts, route), said; the run stopped there.
  std::optional<std::string> failed;
  /// With foreign_snapshots: the builds tried with another part's snapshot,
  /// and the parts whose build took it.
  int foreign_builds = 0;
  std::vector<std::string> accepted_foreign;
  /// "killed every worker after 5 part writes, in epoch 2; resumed on 4
  /// workers from the snapshots of epoch 1".
  std::string note;
};

/// Thrown by a `SinkUnderTest` when the sink broke the runner's contract
/// rather than a rule (a process that crashed, hung or answered garbage): the
/// case fails with this message and the trace up to the break.
class SinkBroke : public std::runtime_error {
 public:
  SinkBroke(const std::string& message, Trace trace) : std::runtime_error(message), trace_(std::move(trace)) {}
  [[nodiscard]] const Trace& trace() const noexcept { return trace_; }

 private:
  Trace trace_;
};

/// The sink as the rules see it. Implementations report the sink's errors in
/// the trace; they throw only for the kit's own failures (a sink process that
/// cannot be started, a read-back that fails).
class SinkUnderTest {
 public:
  virtual ~SinkUnderTest() = default;

  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual Capabilities capabilities() const = 0;
  [[nodiscard]] virtual bool router_branch_safe() const = 0;
  /// The sink can be driven with batches of a subtype of its payload.
  [[nodiscard]] virtual bool accepts_subtype_batches() const = 0;
  /// How the kit can make the sink's storage fail (`FaultPlan::storage_faults`):
  /// a hook of the sink's, from outside it, or not at all.
  [[nodiscard]] virtual StorageFaultMechanism storage_fault_mechanism() const = 0;
  /// The kit can make the sink's storage fail.
  [[nodiscard]] bool can_fail_storage() const {
    return storage_fault_mechanism() != StorageFaultMechanism::none;
  }

  /// A valid config for a fresh target.
  virtual nlohmann::json make_config(const TestTarget& target) = 0;
  /// Configs the sink must reject; nullopt when the harness has none.
  virtual std::optional<std::vector<InvalidConfig>> invalid_configs(const TestTarget& target) = 0;

  /// Runs the request against a node built with `config`.
  virtual Trace run(const nlohmann::json& config, const RunRequest& request) = 0;
  /// What the target of `config` durably holds.
  virtual ReadBack read_back(const nlohmann::json& config) = 0;

  /// The processes that host (or will host) the partitions of a run of
  /// `workers` workers, started if need be and looked at now; nullopt when
  /// they cannot be observed.
  virtual std::optional<ResourceUsage> resource_usage(int workers) = 0;
  /// Asks the processes hosting the sink to release what only their garbage
  /// collector would (a Python sink process collects its garbage). Nothing
  /// to do in a process without one.
  virtual void collect_garbage() {}
  /// What the sink's process reported of its bridge and session manager in
  /// the last run; nullopt when the kit's own (RunRequest::simulation's
  /// bridge and session_manager) are the ones the sink used.
  virtual std::optional<BorrowedResources> borrowed_resources() { return std::nullopt; }
  /// Runs `request` in a process of its own and SIGKILLs it at `kill`;
  /// nullopt when the sink cannot be run that way.
  virtual std::optional<CrashRun> run_and_kill(const nlohmann::json& config, const RunRequest& request,
                                               KillPoint kill) = 0;

  /// Runs `request` on `target` (`config` names it) while the kit journals
  /// every change the sink makes under the target, then cuts the power at
  /// `cut` (in the write after its count of acknowledged ones; after the
  /// run's closes when it ends first): every process hosting the sink is
  /// killed and the target rewritten to the crash state `state` draws
  /// (faults/power_loss.hpp). Nullopt when the kit cannot see the sink's
  /// file calls (no interposer in its process).
  virtual std::optional<PowerCut> run_and_cut_power(const nlohmann::json& config, const TestTarget& target,
                                                    const RunRequest& request, KillPoint cut,
                                                    PowerCutState state) {
    (void)config, (void)target, (void)request, (void)cut, (void)state;
    return std::nullopt;
  }
  /// The kit can cut the power under this sink (its file calls are seen).
  [[nodiscard]] virtual bool power_can_be_cut() const { return false; }

  /// The sink has stateful partitions: parts, snapshots, resumes (SK-7.x).
  [[nodiscard]] virtual bool stateful() const { return false; }
  /// Runs `request` as Bytewax runs a stateful sink (see StatefulRequest);
  /// nullopt when the sink has no stateful partitions.
  virtual std::optional<StatefulRun> run_stateful(const nlohmann::json& config, const StatefulRequest& request) {
    (void)config, (void)request;
    return std::nullopt;
  }

  /// The sink runs in the kit's own process (a harness): a crash of the sink
  /// ends the process checking the rule, and the runner checks that rule
  /// again case by case (`CheckOptions::isolate_cases`). Over the wire, the
  /// sink's process dies alone and its call fails: false.
  [[nodiscard]] virtual bool in_process() const { return true; }

  /// Removes what `target` holds outside its directory (tables, streams,
  /// keys on a server), once the case is done with it: after its read-back,
  /// before the kit removes the directory. Nothing to do for a sink whose
  /// storage is the directory. A failure is a note (`take_notes`), not an
  /// exception.
  virtual void drop_target(const TestTarget& target) { (void)target; }

  /// Called when a check ends: stop what the check started (sink processes).
  virtual void release() {}
  /// What the kit noticed during the check that is not a failure (a sink
  /// process that was slow on a large batch, not hung), taken once the check
  /// ends; the rule's result carries them.
  virtual std::vector<std::string> take_notes() { return {}; }
};

}  // namespace rules
}  // namespace sinkkit
