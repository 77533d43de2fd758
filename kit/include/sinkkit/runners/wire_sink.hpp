#pragma once
/// \file
/// `WireSink`: a sink in another process (any language), served to the rules
/// as a `SinkUnderTest` through the wire protocol (docs/wire-protocol.md).
/// It starts the sink command, says hello to learn the sink's name, payload
/// fields and capabilities, and drives builds, writes, closes, read-backs and
/// faults over JSON Lines (the messages of wire_messages.hpp). A process that exits, hangs, or answers with
/// something that is not a protocol response fails the case it was running
/// (the message names what it did and carries its stderr) and is replaced.
///
/// Slow is not hung. A write_batch gets 4x the time the process's pace on the
/// largest batch it answered predicts for it, when that is above the call
/// timeout (a batch far larger than any answered, at a pace of its own); a
/// call answered after the call timeout that way is reported (`take_notes`),
/// not failed. (SK-2.9 leads up to max_batch_size in steps for this.) Once a call
/// has hung, the later ones (the check's shrink steps, and the other rules'
/// calls, in the processes the run forks for its checks too) get 20x the
/// slowest answered call of their own kind and size, at least 1 s and at
/// most the call timeout: a hung sink costs seconds per step, not the call
/// timeout each time. A call that hangs fails with the error kind "hung", one
/// whose process died in it with "crashed".
///
/// **Example**:
///
///     sinkkit::WireSink sut({.command = {"python3", "adapters/python/examples/jsonl_sink.py"}});
///     auto result = sinkkit::run_suite(sut, {.progress = &std::cerr});

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/rules/sink_under_test.hpp>
#include <sinkkit/runners/wire_messages.hpp>

namespace sinkkit {
inline namespace runners {

/// Where the partitions of a run live.
enum class ProcessLayout {
  per_worker,  ///< one sink process per worker, like a multi-process cluster (the default)
  single,      ///< every partition in one process
};

struct WireOptions {
  std::vector<std::string> command;
  std::chrono::milliseconds call_timeout{10'000};
  std::size_t max_line_bytes = 64ULL << 20;
  std::size_t max_stderr_bytes = 64ULL << 10;
  ProcessLayout layout = ProcessLayout::per_worker;
  /// Overrides the sink's `config_template` ({target} and {target_id} are
  /// substituted in its strings; {proxy:HOST:PORT} at each build, see
  /// `network_faults`).
  std::optional<nlohmann::json> config;
  /// Storage faults from outside the sink: its processes start with the
  /// kit's file-system interposer (libsinkkit_faults, by LD_PRELOAD), unless
  /// the sink declares its own `fault` op or the library cannot be found.
  bool file_system_faults = true;
  /// A config naming its server as {proxy:HOST:PORT} (loopback) gets network
  /// faults instead: in runs with storage faults each worker connects
  /// through the kit's TCP fault proxy (a loopback port of its own); in the
  /// others and for read-back, HOST:PORT itself. Off: always HOST:PORT.
  bool network_faults = true;
  /// How long a stalled or half-dropped connection lasts before the proxy
  /// resets it (set it above the sink's own client timeout to test that).
  std::chrono::milliseconds network_stall{250};
  /// When the sink's hello offers a fork server (the Python adapter does,
  /// docs/wire-protocol.md), its processes are forked from one that has
  /// started once, instead of each starting afresh (a Python start and its
  /// imports: most of a Python sink's time under the kit). Off: afresh.
  bool fork_server = true;
};

class WireSink final : public SinkUnderTest {
 public:
  /// Starts the sink once to read its hello, then stops it. Throws
  /// `WireError` when the sink cannot be started or its hello is not valid.
  explicit WireSink(WireOptions options);
  ~WireSink() override;

  [[nodiscard]] const WireSinkInfo& info() const noexcept;

  [[nodiscard]] std::string name() const override;
  [[nodiscard]] Capabilities capabilities() const override;
  [[nodiscard]] bool router_branch_safe() const override;
  /// Out of process, a subtype is an item with extra, undeclared fields.
  [[nodiscard]] bool accepts_subtype_batches() const override { return true; }
  [[nodiscard]] bool in_process() const override { return false; }
  [[nodiscard]] StorageFaultMechanism storage_fault_mechanism() const override;

  nlohmann::json make_config(const TestTarget& target) override;
  /// Probes derived from the valid config: each key dropped, set to null,
  /// and given a wrong type (`must_reject` false: see InvalidConfig).
  std::optional<std::vector<InvalidConfig>> invalid_configs(const TestTarget& target) override;

  Trace run(const nlohmann::json& config, const RunRequest& request) override;
  ReadBack read_back(const nlohmann::json& config) override;
  /// The sink processes that host the partitions of `workers` workers
  /// (started if need be), each looked at under /proc/PID.
  std::optional<ResourceUsage> resource_usage(int workers) override;
  /// Sends `collect_garbage` to each sink process (one that does not know
  /// the op answers a protocol error, and is left as it is).
  void collect_garbage() override;
  /// From the close responses' optional `bridge_in_flight` and
  /// `session_manager` fields; nullopt when the sink sends neither.
  std::optional<BorrowedResources> borrowed_resources() override;
  /// The kill lands once the sink process has read the fatal write's
  /// request from its pipe, `kill.into_write` of the run's mean write time
  /// (from request to answer) later; at 0, before the request is sent.
  std::optional<CrashRun> run_and_kill(const nlohmann::json& config, const RunRequest& request,
                                       KillPoint kill) override;
  /// Every sink process journalling the target through the interposer, all
  /// of them killed at the cut (a power cut takes the machine).
  std::optional<PowerCut> run_and_cut_power(const nlohmann::json& config, const TestTarget& target,
                                            const RunRequest& request, KillPoint cut,
                                            PowerCutState state) override;
  /// The interposer is in its processes (the file-system mechanism).
  [[nodiscard]] bool power_can_be_cut() const override;
  /// The sink's hello said `"stateful": true`.
  [[nodiscard]] bool stateful() const override;
  /// Drives the stateful ops (list_parts, route, build_part, snapshot) and
  /// write_batch/close on the parts, one process per worker, as Bytewax would.
  std::optional<StatefulRun> run_stateful(const nlohmann::json& config, const StatefulRequest& request) override;
  /// Sends `drop_target` when the sink's hello said `"drops_targets": true`
  /// (its server named directly, not through the fault proxy). A drop that
  /// fails is tried again at `release`, and a note if it fails again.
  void drop_target(const TestTarget& target) override;
  /// The sink's hello said `"drops_targets": true`.
  [[nodiscard]] bool drops_targets() const;
  /// Drops what failed to drop before, then shuts the sink processes down
  /// (their stderr goes to this process's).
  void release() override;
  /// The calls that were slow, not hung (see above).
  std::vector<std::string> take_notes() override;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// Parses a hello response (`wire::decode_hello_ok`); throws
/// `WireError(protocol)` naming what is wrong.
WireSinkInfo parse_hello(const nlohmann::json& response);

}  // namespace runners
}  // namespace sinkkit
