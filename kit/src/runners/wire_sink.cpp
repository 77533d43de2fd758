#include <sinkkit/runners/wire_sink.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/runners/sink_process.hpp>
#include <sinkkit/simulation/simulator.hpp>
#include <sinkkit/simulation/storage_fault_injector.hpp>

#include "../faults/fault_control.hpp"
#include "../faults/network_proxy.hpp"
#include "../faults/power_loss.hpp"
#include "call_pace.hpp"
#include "fork_server.hpp"
#include "process_resources.hpp"
#include "wire_responses.hpp"

namespace sinkkit {
inline namespace runners {

namespace {

const std::string kExtraField = "sinkkit_subtype";

// The payload the simulator hands around: the key is enough, the declared
// fields follow from it (so batches stay small and poisoning is harmless).
struct WireItem {
  ItemKey key;
};

void substitute(nlohmann::json& j, const TestTarget& t) {
  if (j.is_string()) {
    auto s = j.get<std::string>();
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"{target}", t.dir.string()}, {"{target_id}", t.id}}) {
      for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
    }
    j = s;
  } else if (j.is_object() || j.is_array()) {
    for (auto& v : j) substitute(v, t);
  }
}

}  // namespace

WireSinkInfo parse_hello(const nlohmann::json& r) { return detail::read_hello(r).sink; }

}  // namespace runners


inline namespace runners {

class WireSink::Impl {
 public:
  explicit Impl(WireOptions options) : options_(std::move(options)) {
    // A sink's own fault op is what its author chose; otherwise the kit's
    // interposer, preloaded into every sink process it starts (the hello's
    // process too, to learn whether it really loads).
    if (options_.file_system_faults) interposer_ = detail::faults::interposer_library();
    if (interposer_) {
      std::string dir = (std::filesystem::temp_directory_path() / "sinkkit-faults-XXXXXX").string();
      if (::mkdtemp(dir.data()) == nullptr) {
        throw std::runtime_error("cannot create a folder for the fault control files in " + dir + ": " +
                                 std::strerror(errno));
      }
      control_dir_ = dir;
    }
    WorkerProcess probe_entry;
    auto probe = start_worker_process(probe_entry);
    wire::HelloOk hello;
    try {
      hello = detail::read_hello(probe->call(wire::encode(wire::Hello{})));
      info_ = hello.sink;
      drops_targets_ = hello.drops_targets;
    } catch (const WireError& e) {
      // A sink that dies before its hello (an ImportError, say) says why on stderr.
      throw WireError(e.kind(), e.what() + stderr_suffix(*probe));
    }
    const bool loaded = probe_entry.faults && probe_entry.faults->attached_pid() != 0;
    probe->shutdown();
    const auto& config = options_.config          ? *options_.config
                         : info_.config_template ? *info_.config_template
                                                 : nlohmann::json();
    const bool proxied = detail::faults::names_proxy(config);
    if (proxied) {
      try {  // a malformed {proxy:...} is named now, not in every build
        auto checked = config;
        detail::faults::substitute_proxies(checked, [](const detail::faults::Endpoint& e) { return e.text(); });
      } catch (const std::invalid_argument& e) {
        throw WireError(WireError::Kind::protocol, std::string("the config: ") + e.what());
      }
    }
    if (info_.capabilities.fault_injection) {
      mechanism_ = StorageFaultMechanism::hook;
    } else if (proxied && options_.network_faults) {
      mechanism_ = StorageFaultMechanism::network;
      interposer_.reset();  // its storage is the server's, not files
    } else if (loaded) {
      mechanism_ = StorageFaultMechanism::file_system;
    } else if (interposer_) {
      interposer_.reset();
      std::cerr << "sinkkit: the sink process did not load libsinkkit_faults (a static binary, or one that "
                   "drops LD_PRELOAD?): storage faults cannot reach its files, SK-4.1, SK-4.2 and SK-4.5 stay "
                   "untested\n";
    }
    if (hello.fork_server && options_.fork_server) {
      // Started here, before the rules' processes fork from this one: they
      // all ask the same server.
      try {
        fork_server_ = std::make_shared<detail::ForkServer>(options_.command, interposer_environment(nullptr),
                                                            options_.call_timeout);
        // One fork, here, so that a server that does not work is said on
        // the console (a rule's process says it only in its own output).
        WorkerProcess check_entry;
        auto check = start_worker_process(check_entry);
        if (!fork_server_->failed()) (void)detail::read_hello(check->call(wire::encode(wire::Hello{})));
        check->shutdown();
        if (fork_server_->failed()) fork_server_.reset();
      } catch (const std::exception& e) {
        std::cerr << "sinkkit: the sink's fork server failed (" << e.what()
                  << "); every sink process starts afresh\n";
        fork_server_.reset();
      }
    }
  }
  ~Impl() {
    std::error_code ec;
    if (!control_dir_.empty()) std::filesystem::remove_all(control_dir_, ec);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  StorageFaultMechanism mechanism() const { return mechanism_; }
  bool drops_targets() const { return drops_targets_; }

  // Sends drop_target for a target's config (its server named directly);
  // the error, or nullopt once dropped.
  std::optional<std::string> drop(const nlohmann::json& config) {
    begin_run();
    nlohmann::json r;
    try {
      r = request(0, wire::encode(wire::DropTarget{config}));
    } catch (const RemoteError&) {
      return "the sink process failed: " + take_failure().value_or("?");
    }
    report_stderr_of_run();
    if (const auto error = wire::failure_of(r)) return std::string(wire::to_string(error->kind)) + ": " + error->message;
    return std::nullopt;
  }
  // A target whose drop failed: tried once more when the check ends.
  void remember_undropped(std::string id, nlohmann::json config) {
    undropped_.emplace_back(std::move(id), std::move(config));
  }
  // The undropped targets tried again; what still fails becomes a note.
  void drop_the_rest() {
    for (auto& [id, config] : std::exchange(undropped_, {})) {
      if (auto error = drop(config)) {
        drop_notes_.push_back("drop_target of " + id + " failed twice (" + *error +
                              "): what it holds on the server is left behind");
      }
    }
  }
  std::vector<std::string> take_drop_notes() { return std::exchange(drop_notes_, {}); }

  const WireSinkInfo& info() const { return info_; }
  const WireOptions& options() const { return options_; }

  struct WorkerProcess {
    std::mutex mutex;
    std::unique_ptr<SinkProcess> process;
    std::unique_ptr<detail::faults::ControlFile> faults;  // the interposer's control, one per process
    bool died = false;  // this run: its partitions are gone with it, no silent respawn
  };

  ProcessOptions process_options() const {
    return {options_.command, options_.call_timeout, options_.max_line_bytes, options_.max_stderr_bytes, {},
            fork_server_};
  }

  // With the interposer: preloaded (after what the caller preloads: a
  // sanitizer runtime wants to be first), and the name of its control file.
  std::vector<std::string> interposer_environment(const detail::faults::ControlFile* control) const {
    if (!interposer_ || mechanism_ == StorageFaultMechanism::hook) return {};
    const char* preload = std::getenv("LD_PRELOAD");
    const char* asan = std::getenv("ASAN_OPTIONS");
    std::vector<std::string> environment = {
        "LD_PRELOAD=" + (preload != nullptr && preload[0] != '\0' ? std::string(preload) + ":" : "") +
            interposer_->string(),
        // A sink built with ASan wants its runtime first in the library
        // list; the interposer works behind it as well.
        "ASAN_OPTIONS=" + (asan != nullptr && asan[0] != '\0' ? std::string(asan) + ":" : "") +
            "verify_asan_link_order=0"};
    if (control != nullptr) {
      environment.push_back(std::string(detail::faults::kControlFileEnv) + "=" + control->path().string());
    }
    return environment;
  }

  // A sink process, with the interposer and a control file of its own when
  // faults come from outside (named by the creating process: a rule's child
  // never reuses its parent's files).
  std::unique_ptr<SinkProcess> start_worker_process(WorkerProcess& entry) {
    auto options = process_options();
    if (interposer_ && mechanism_ != StorageFaultMechanism::hook) {
      if (!entry.faults) {
        static std::atomic<int> next_file{0};
        entry.faults = std::make_unique<detail::faults::ControlFile>(
            control_dir_ / ("p" + std::to_string(::getpid()) + "-" + std::to_string(next_file++)));
      }
      options.environment = interposer_environment(entry.faults.get());
    }
    return std::make_unique<SinkProcess>(std::move(options));
  }

  // The interposer's control of the process that hosts `worker`'s partitions.
  detail::faults::ControlBlock* fault_control(int worker) {
    WorkerProcess& entry = worker_process(worker);
    std::lock_guard lock(entry.mutex);
    return entry.faults ? entry.faults->block() : nullptr;
  }

  WorkerProcess& worker_process(int worker) {
    const auto i = options_.layout == ProcessLayout::single ? 0 : static_cast<std::size_t>(worker);
    return worker_processes_.at(i);
  }

  // One request to the process of `worker`. Wire failures kill and drop the
  // process, are remembered for the current run, and surface to the
  // simulator as an error of kind `other`.
  // `batch_items`: a write_batch's item count (0 for the other ops), for its pace.
  nlohmann::json request(int worker, const nlohmann::json& req, bool send_only = false, std::size_t batch_items = 0) {
    WorkerProcess& entry = worker_process(worker);
    std::lock_guard lock(entry.mutex);
    const auto kind = detail::CallPace::kind_of(req.value("op", std::string()));
    const auto limit = pace.limit(kind, batch_items, options_.call_timeout);
    if (!entry.process && entry.died) {
      throw RemoteError(std::string(wire::to_string(wire::ErrorKind::other)),
                        "the sink process that held this partition died earlier in this run");
    }
    try {
      start_if_needed(entry);
      if (send_only) {
        entry.process->send(req);
        return nlohmann::json::object();
      }
      const auto start = std::chrono::steady_clock::now();
      auto response = entry.process->call(req, limit.timeout);
      pace.answered(kind, batch_items, std::chrono::steady_clock::now() - start, options_.call_timeout, limit);
      return response;
    } catch (const WireError& e) {
      std::string message = e.what();
      if (e.kind() == WireError::Kind::timeout) {
        pace.timed_out();
        if (!limit.basis.empty()) message += " (the limit: " + limit.basis + ")";
      }
      if (entry.process) {
        report_stderr(*entry.process);
        message += stderr_suffix(*entry.process);
        entry.process.reset();  // replaced in the next run
        entry.died = true;
      }
      remember_failure(message);
      // The sink's failure as the kit saw it: a call that hung, a process
      // that died in it, or an answer the kit cannot take.
      const char* error_kind = e.kind() == WireError::Kind::timeout  ? "hung"
                         : e.kind() == WireError::Kind::exited ? "crashed"
                                                               : "other";
      throw RemoteError(error_kind, message);
    }
  }

  void kill(int worker) {
    WorkerProcess& entry = worker_process(worker);
    std::lock_guard lock(entry.mutex);
    if (entry.process) {
      entry.process->kill();
      report_stderr(*entry.process);
      entry.process.reset();
    }
    entry.died = true;
  }

  // Starts the process of `entry` and says hello, unless it runs (its mutex
  // held). Throws WireError.
  void start_if_needed(WorkerProcess& entry) {
    if (entry.process) return;
    entry.process = start_worker_process(entry);
    (void)parse_hello(entry.process->call(wire::encode(wire::Hello{})));
  }

  // Threaded runs release every worker's build at once: the processes start
  // first, so that the builds overlap, not the process starts.
  void start_processes(int workers) {
    const int n = options_.layout == ProcessLayout::single ? 1 : std::min(workers, kMaxWorkers);
    for (int w = 0; w < n; ++w) {
      WorkerProcess& entry = worker_process(w);
      std::lock_guard lock(entry.mutex);
      if (entry.process || entry.died) continue;
      try {
        start_if_needed(entry);
      } catch (const WireError&) {
        entry.process.reset();  // the build starts it again, and reports why it cannot (its stderr too)
      }
    }
  }

  // A power cut: every sink process dies at once.
  void kill_all() {
    for (std::size_t w = 0; w < worker_processes_.size(); ++w) {
      if (worker_processes_[w].process) kill(static_cast<int>(w));
    }
  }

  // Power loss (SK-4.6): every process the workers of a run will use
  // started, and journalling what changes under `target` into a journal of
  // its own (they are merged by time); their journals.
  std::vector<std::filesystem::path> track(int workers, const std::filesystem::path& target) {
    static std::atomic<int> next_journal{0};
    start_processes(workers);
    std::vector<std::filesystem::path> journals;
    const int n = options_.layout == ProcessLayout::single ? 1 : std::min(workers, kMaxWorkers);
    for (int w = 0; w < n; ++w) {
      WorkerProcess& entry = worker_process(w);
      std::lock_guard lock(entry.mutex);
      if (!entry.faults) continue;
      journals.push_back(control_dir_ / ("journal-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(next_journal++)));
      detail::faults::start_tracking(*entry.faults->block(), target, journals.back());
    }
    return journals;
  }
  void stop_tracking() {
    for (auto& entry : worker_processes_) {
      std::lock_guard lock(entry.mutex);
      if (entry.faults) detail::faults::stop_tracking(*entry.faults->block());
    }
  }

  // The workers whose process is running, and its pid.
  std::vector<std::pair<int, pid_t>> live_processes() {
    std::vector<std::pair<int, pid_t>> out;
    for (std::size_t w = 0; w < worker_processes_.size(); ++w) {
      auto& entry = worker_processes_[w];
      std::lock_guard lock(entry.mutex);
      if (entry.process && entry.process->running()) out.emplace_back(static_cast<int>(w), entry.process->pid());
    }
    return out;
  }

  // A new run: dead processes are replaced from here on.
  void begin_run() {
    for (auto& entry : worker_processes_) {
      std::lock_guard lock(entry.mutex);
      entry.died = false;
    }
    (void)take_failure();
  }

  void release_all() {
    for (auto& entry : worker_processes_) {
      std::lock_guard lock(entry.mutex);
      if (!entry.process) continue;
      if (!entry.process->shutdown()) {
        std::cerr << "sinkkit: sink process did not shut down cleanly (" << entry.process->status_text() << ")\n";
      }
      report_stderr(*entry.process);
      entry.process.reset();
    }
  }

  // "; its stderr: ..." (the last 4000 bytes, where a traceback ends), or "".
  static std::string stderr_suffix(const SinkProcess& p) {
    auto err = p.stderr_text();
    while (!err.empty() && std::isspace(static_cast<unsigned char>(err.back()))) err.pop_back();
    if (err.empty()) return "";
    if (err.size() > 4000) err = "..." + err.substr(err.size() - 4000);
    return "; its stderr:\n" + err;
  }

  // What the sink wrote to stderr goes to ours, where the runner captures it
  // into the report.
  static void report_stderr(const SinkProcess& p) {
    if (auto err = p.stderr_text(); !err.empty()) std::cerr << "[sink stderr, pid " << p.pid() << "]\n" << err << std::flush;
  }

  // After each run, what the live processes wrote during it, so that a
  // run's output (the counterexample's, in a report) stays with that run.
  void report_stderr_of_run() {
    for (auto& entry : worker_processes_) {
      std::lock_guard lock(entry.mutex);
      if (!entry.process) continue;
      if (auto err = entry.process->take_stderr(); !err.empty()) {
        std::cerr << "[sink stderr, pid " << entry.process->pid() << "]\n" << err << std::flush;
      }
    }
  }

  void remember_failure(const std::string& message) {
    std::lock_guard lock(failure_mutex_);
    if (!failure_) failure_ = message;
  }
  std::optional<std::string> take_failure() {
    std::lock_guard lock(failure_mutex_);
    return std::exchange(failure_, std::nullopt);
  }

  std::string new_partition_name(PartitionId p) {
    return "p" + std::to_string(next_partition_++) + "-w" + std::to_string(p.worker) + "-b" + std::to_string(p.branch);
  }

  // The crash rule: kill the process of the worker that makes the write
  // after `kill_after` acknowledged ones, right after sending it.
  struct CrashPlan {
    std::int64_t kill_after = 0;
    std::atomic<std::int64_t> acks{0};
    std::atomic<bool> fired{false};
    int killed_worker = -1;
    bool power = false;  // a power cut: every process dies, not the one worker's
    // Killed by the plan: `worker`'s calls from here on fail as killed.
    [[nodiscard]] bool took(int worker) const { return fired && (power || killed_worker == worker); }
  };
  CrashPlan* crash = nullptr;
  detail::CallPace pace;
  bool subtype_items = false;
  bool hand_bridge = true;  // this run's builds get the process's bridge

  // The close responses' report of the bridge and session manager (SK-6.1,
  // SK-6.2): the worst bridge backlog, and each process's last lease count.
  void reset_resources() {
    std::lock_guard lock(resources_mutex_);
    resources_.reset();
    leased_by_process_.clear();
  }
  void record_close(int worker, const std::string& what, const detail::CloseReport& report) {
    if (!report.any()) return;
    std::lock_guard lock(resources_mutex_);
    if (!resources_) resources_.emplace();
    if (report.bridge_in_flight && *report.bridge_in_flight > resources_->bridge_in_flight_after_close) {
      resources_->bridge_in_flight_after_close = *report.bridge_in_flight;
      resources_->that_close = what;
    }
    if (report.session_manager_disposed) resources_->session_manager_disposed = true;
    if (report.sessions_leased) {
      leased_by_process_[options_.layout == ProcessLayout::single ? 0 : worker] = *report.sessions_leased;
    }
  }
  std::optional<BorrowedResources> resources() {
    std::lock_guard lock(resources_mutex_);
    auto out = resources_;
    if (out) {
      for (const auto& [process, leased] : leased_by_process_) out->sessions_leased += leased;
    }
    return out;
  }

 private:
  WireOptions options_;
  WireSinkInfo info_;
  std::array<WorkerProcess, kMaxWorkers> worker_processes_;
  std::atomic<int> next_partition_{0};
  std::mutex failure_mutex_;
  std::optional<std::string> failure_;
  StorageFaultMechanism mechanism_ = StorageFaultMechanism::none;
  std::mutex resources_mutex_;
  std::optional<BorrowedResources> resources_;
  std::map<int, std::int64_t> leased_by_process_;
  std::optional<std::filesystem::path> interposer_;
  std::shared_ptr<detail::ForkServer> fork_server_;  // when the sink offers one
  std::filesystem::path control_dir_;
  bool drops_targets_ = false;
  std::vector<std::pair<std::string, nlohmann::json>> undropped_;
  std::vector<std::string> drop_notes_;
};

namespace {

// The node and partition the simulator drives: every call is a request.
class RemotePartition {
 public:
  RemotePartition(WireSink::Impl& impl, std::string name, int worker)
      : impl_(&impl), name_(std::move(name)), worker_(worker) {}

  void write_batch(Batch<WireItem> batch) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& item : batch) {
      nlohmann::json j = {{"key", to_string(item.key)}};
      for (const auto& [field, type] : impl_->info().fields) j[field] = detail::expected_value(type, item.key);
      if (impl_->subtype_items) j[kExtraField] = {{"level", 2}, {"note", "a field the sink did not declare"}};
      items.push_back(std::move(j));
    }
    const auto req = wire::encode(wire::WriteBatch{name_, std::move(items)});
    if (auto* crash = impl_->crash; crash != nullptr && crash->took(worker_)) {
      throw RemoteError("killed", "the power was cut before this write");
    }
    if (auto* crash = impl_->crash; crash != nullptr && !crash->fired && crash->acks.load() >= crash->kill_after) {
      crash->fired = true;
      crash->killed_worker = worker_;
      impl_->request(worker_, req, /*send_only=*/true);
      // While it works on the write: its effect is unknown.
      if (crash->power) {
        impl_->kill_all();
        throw RemoteError("killed", "the kit cut the power during this write: every sink process killed");
      }
      impl_->kill(worker_);
      throw RemoteError("killed", "the kit killed the sink process during this write (crash rule)");
    }
    const auto r = impl_->request(worker_, req, /*send_only=*/false, batch.size());
    detail::throw_if_failed(r);
    // The sink's own time in the call, beside the kit's end-to-end one (bench).
    if (const auto own = detail::sink_time_of(r)) detail::report_sink_time(*own);
    if (auto* crash = impl_->crash) crash->acks.fetch_add(1);
  }

  void close() {
    if (auto* crash = impl_->crash; crash != nullptr && crash->took(worker_)) {
      throw RemoteError("killed", crash->power ? "the power was cut" : "the sink process was killed by the kit");
    }
    const auto r = impl_->request(worker_, wire::encode(wire::Close{name_}));
    const auto report = detail::close_report_of(r);
    impl_->record_close(worker_, "close of " + name_, report);  // a failed close reports them too
    if (report.bridge_in_flight.value_or(0) > 0) detail::report_bridge_in_flight(*report.bridge_in_flight);
    detail::throw_if_failed(r);
  }

 private:
  WireSink::Impl* impl_;
  std::string name_;
  int worker_;
};

class RemoteNode {
 public:
  using payload_type = WireItem;
  std::string name;
  // The simulator only needs it for runs with branches; the rules ask the
  // sink's declaration (WireSink::router_branch_safe) before making them.
  static constexpr bool router_branch_safe = true;

  RemoteNode(WireSink::Impl& impl, const std::vector<StorageFault>& faults, detail::faults::FaultProxy* proxy)
      : name(impl.info().name), impl_(&impl), faults_(&faults), proxy_(proxy) {}

  RemotePartition build_partition(const nlohmann::json& config, int worker_index, int worker_count, AsyncBridge*,
                                  void*) {
    const int branch = branches_.at(static_cast<std::size_t>(worker_index)).fetch_add(1);
    const auto partition = impl_->new_partition_name({worker_index, branch});
    // Each worker reaches its server through a proxy port of its own.
    auto resolved = config;
    detail::faults::substitute_proxies(resolved, [&](const detail::faults::Endpoint& e) {
      return proxy_ != nullptr ? proxy_->address(worker_index, e) : e.text();
    });
    detail::throw_if_failed(
        impl_->request(worker_index,
                       wire::encode(wire::Build{partition, resolved, worker_index, worker_count, impl_->hand_bridge})));
    // Storage faults go by the partition's wire name, known only now (the
    // sink's own fault op; the interposer's faults are armed per call).
    if (impl_->mechanism() != StorageFaultMechanism::hook) return RemotePartition(*impl_, partition, worker_index);
    for (const auto& f : *faults_) {
      if (f.worker == worker_index && f.branch == branch) {
        detail::throw_if_failed(impl_->request(worker_index, wire::encode(wire::Fault{partition, f.after_items})));
      }
    }
    return RemotePartition(*impl_, partition, worker_index);
  }

 private:
  WireSink::Impl* impl_;
  const std::vector<StorageFault>* faults_;
  detail::faults::FaultProxy* proxy_;  // null: {proxy:HOST:PORT} is HOST:PORT
  std::array<std::atomic<int>, kMaxWorkers> branches_{};  // builds so far per worker: the branch index
};

}  // namespace

WireSink::WireSink(WireOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
WireSink::~WireSink() {
  try {
    impl_->drop_the_rest();
    for (const auto& note : impl_->take_drop_notes()) std::cerr << "sinkkit: " << note << "\n";
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor; the processes are released below
  }
  impl_->release_all();
}

const WireSinkInfo& WireSink::info() const noexcept { return impl_->info(); }
std::string WireSink::name() const { return impl_->info().name; }
Capabilities WireSink::capabilities() const { return impl_->info().capabilities; }
bool WireSink::router_branch_safe() const { return impl_->info().router_branch_safe; }
StorageFaultMechanism WireSink::storage_fault_mechanism() const { return impl_->mechanism(); }

nlohmann::json WireSink::make_config(const TestTarget& target) {
  nlohmann::json config = impl_->options().config ? *impl_->options().config
                          : impl_->info().config_template ? *impl_->info().config_template
                                                          : nlohmann::json{{"dir", "{target}"}};
  substitute(config, target);
  return config;
}

std::optional<std::vector<InvalidConfig>> WireSink::invalid_configs(const TestTarget& target) {
  const auto valid = make_config(target);
  std::vector<InvalidConfig> probes;
  for (const auto& [key, value] : valid.items()) {
    auto dropped = valid;
    dropped.erase(key);
    auto nulled = valid;
    nulled[key] = nullptr;
    auto retyped = valid;
    retyped[key] = value.is_string() ? nlohmann::json(42) : nlohmann::json("not-a-" + std::string(value.type_name()));
    for (auto* c : {&dropped, &nulled, &retyped}) probes.push_back({std::move(*c), key, /*must_reject=*/false});
  }
  if (probes.empty()) return std::nullopt;
  return probes;
}

Trace WireSink::run(const nlohmann::json& config, const RunRequest& request) {
  impl_->begin_run();
  impl_->reset_resources();
  if (request.simulation.mode == ExecutionMode::threaded) impl_->start_processes(request.workload.workers);
  impl_->subtype_items = request.simulation.view == PayloadView::subtype;
  // A run without the kit's bridge (SK-1.3) asks the sink's process to build without its own.
  impl_->hand_bridge = request.simulation.bridge != nullptr;
  // The proxy runs only while storage faults are planned: other runs, and
  // the benchmarks, talk to the server itself.
  std::optional<detail::faults::FaultProxy> proxy;
  if (impl_->mechanism() == StorageFaultMechanism::network && !request.plan.storage_faults.empty()) {
    proxy.emplace(impl_->options().network_stall);
  }
  RemoteNode node(*impl_, request.plan.storage_faults, proxy ? &*proxy : nullptr);
  SimulatorOptions opts = request.simulation;
  opts.view = PayloadView::exact;  // a subtype out of process is extra fields (subtype_items)
  opts.poison_batches = false;     // items are serialised during the call: nothing to retain
  opts.bridge = nullptr;           // the sink process has its own, if any
  opts.session_manager = nullptr;
  // With the sink's fault op, RemoteNode sends the faults itself right after
  // each build; with the interposer, the simulator arms them per call.
  detail::faults::InterposerInjector outside([this](PartitionId p) { return impl_->fault_control(p.worker); },
                                            request.target_root);
  if (impl_->mechanism() == StorageFaultMechanism::file_system) {
    opts.arm_storage_fault = nullptr;
    opts.storage_fault_injector = &outside;
  } else if (proxy) {
    opts.arm_storage_fault = nullptr;
    opts.storage_fault_injector = &*proxy;
  } else {
    opts.arm_storage_fault = [](PartitionId, std::int64_t) {};
  }
  auto make_item = [](const ItemKey& k) { return WireItem{k}; };
  Trace trace;
  try {
    trace = Simulator(node, config, make_item, std::move(opts)).run(request.workload, request.plan);
  } catch (...) {
    impl_->report_stderr_of_run();
    throw;
  }
  impl_->report_stderr_of_run();
  if (auto failure = impl_->take_failure()) throw SinkBroke("the sink process broke the protocol: " + *failure, trace);
  return trace;
}

ReadBack WireSink::read_back(const nlohmann::json& config) {
  impl_->begin_run();
  auto direct = config;  // what the server holds, read from the server itself
  detail::faults::substitute_proxies(direct, [](const detail::faults::Endpoint& e) { return e.text(); });
  nlohmann::json r;
  ReadBack failed;
  try {
    r = impl_->request(0, wire::encode(wire::ReadBack{direct}));
  } catch (const RemoteError&) {
    // The process died or hung: not what its storage holds (that is an
    // error answer, below), so no finding about it.
    throw std::runtime_error("the sink process failed during read_back: " + impl_->take_failure().value_or("?"));
  }
  impl_->report_stderr_of_run();  // what the read-back printed belongs to this run
  if (const auto error = wire::failure_of(r)) {
    // The sink's reader raised on what its storage holds.
    failed.unreadable = (error->kind == wire::ErrorKind::other ? "" : std::string(wire::to_string(error->kind)) + ": ") +
                        error->message;
    return failed;
  }
  return detail::read_back_of(r, impl_->info().fields);
}

std::optional<CrashRun> WireSink::run_and_kill(const nlohmann::json& config, const RunRequest& request,
                                               std::int64_t kill_after_acks) {
  Impl::CrashPlan plan;
  plan.kill_after = kill_after_acks;
  impl_->crash = &plan;
  CrashRun out;
  try {
    out.writes = run(config, request);
  } catch (...) {
    impl_->crash = nullptr;
    throw;
  }
  impl_->crash = nullptr;
  out.killed = plan.fired;
  out.note = plan.fired ? "killed worker " + std::to_string(plan.killed_worker) + "'s process mid-write" : "the run ended first";
  return out;
}

std::optional<PowerCut> WireSink::run_and_cut_power(const nlohmann::json& config, const TestTarget& target,
                                                    const RunRequest& request, std::int64_t cut_after_acks,
                                                    PowerCutState state) {
  if (!power_can_be_cut()) return std::nullopt;
  const auto before = detail::faults::snapshot_tree(target.dir);
  impl_->begin_run();
  const auto journals = impl_->track(request.workload.workers, target.dir);
  Impl::CrashPlan plan;
  plan.kill_after = cut_after_acks;
  plan.power = true;
  impl_->crash = &plan;
  PowerCut out;
  try {
    out.writes = run(config, request);
  } catch (...) {
    impl_->crash = nullptr;
    impl_->stop_tracking();
    throw;
  }
  impl_->crash = nullptr;
  impl_->kill_all();  // the run ended first: the cut comes right after its closes
  impl_->stop_tracking();
  out.mid_run = plan.fired;
  std::error_code ec;
  for (const auto& j : journals) out.wrote = out.wrote || std::filesystem::file_size(j, ec) > 0;
  const auto report = detail::faults::cut_power(target.dir, before, journals, {state.strict, state.seed});
  for (const auto& j : journals) std::filesystem::remove(j, ec);
  out.state = report.description;
  out.writes.aborted = true;
  out.writes.abort_reason = std::string(out.mid_run ? "power cut during a write" : "power cut right after the run's closes") +
                            " (" + (state.strict ? "strict" : "seed " + std::to_string(state.seed)) + "): " + out.state;
  return out;
}

bool WireSink::power_can_be_cut() const { return impl_->mechanism() == StorageFaultMechanism::file_system; }

void WireSink::drop_target(const TestTarget& target) {
  if (!impl_->drops_targets()) return;
  auto config = make_config(target);
  detail::faults::substitute_proxies(config, [](const detail::faults::Endpoint& e) { return e.text(); });
  if (impl_->drop(config)) impl_->remember_undropped(target.id, std::move(config));
}

bool WireSink::drops_targets() const { return impl_->drops_targets(); }

void WireSink::release() {
  impl_->drop_the_rest();
  impl_->release_all();
}

std::optional<ResourceUsage> WireSink::resource_usage(int workers) {
  impl_->start_processes(workers);
  ResourceUsage usage;
  for (const auto& [worker, pid] : impl_->live_processes()) {
    if (auto process = detail::look_at_process(pid)) usage.processes.push_back(std::move(*process));
  }
  if (usage.processes.empty()) return std::nullopt;  // no /proc, or no process would start
  return usage;
}

void WireSink::collect_garbage() {
  for (const auto& [worker, pid] : impl_->live_processes()) {
    try {
      (void)impl_->request(worker, wire::encode(wire::CollectGarbage{}));  // an error answer: nothing to collect
    } catch (const RemoteError&) {
      // The process died or hung: the next look shows it gone.
    }
  }
  (void)impl_->take_failure();
}

std::vector<std::string> WireSink::take_notes() {
  auto notes = impl_->pace.take_notes();
  for (auto& note : impl_->take_drop_notes()) notes.push_back(std::move(note));
  return notes;
}

std::optional<BorrowedResources> WireSink::borrowed_resources() { return impl_->resources(); }

}  // namespace runners
}  // namespace sinkkit
