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
#include <set>
#include <stdexcept>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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
#include "power_cut.hpp"
#include "process_resources.hpp"
#include "wire_responses.hpp"
#include "write_batch_encoder.hpp"

namespace sinkkit {
inline namespace runners {

namespace {

// The payload the simulator hands around: the key is enough, the declared
// fields follow from it (so batches stay small and poisoning is harmless).
struct WireItem {
  ItemKey key;
  // Its part of the write_batch request, when the item was made ahead (the
  // benchmarks): encoding is what making a wire item costs, and a benchmark
  // does not time making items, in process or over the wire.
  std::string encoded;
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
      stateful_ = hello.stateful;
      const auto encoding = detail::choose_item_encoding(hello.item_encodings);
      if (!encoding) {
        std::string named;
        for (const auto& e : hello.item_encodings) named += (named.empty() ? "" : ", ") + e;
        throw WireError(WireError::Kind::protocol, "hello: item_encodings names none this kit knows (objects, rows, pickle): " +
                                                       named);
      }
      encoder_.emplace(info_.fields, *encoding);
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
  // Expires with this: what outlives it (a PowerCut's recut) can tell.
  [[nodiscard]] std::weak_ptr<const char> alive() const { return alive_; }
  bool stateful() const { return stateful_; }

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
  void note_undropped(const std::string& id, const std::string& why) {
    drop_notes_.push_back("drop_target of " + id + " could not be sent (" + why +
                          "): what it holds on the server is left behind");
  }

  const WireSinkInfo& info() const { return info_; }
  const WireOptions& options() const { return options_; }
  const detail::WriteBatchEncoder& encoder() const { return *encoder_; }

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
    return worker_processes_.at(static_cast<std::size_t>(process_of(worker)));
  }

  // One request to the process of `worker`. Wire failures kill and drop the
  // process, are remembered for the current run, and surface to the
  // simulator as an error of kind `other`.
  // `batch_items`: a write_batch's item count (0 for the other ops), for its pace.
  nlohmann::json request(int worker, const nlohmann::json& req, bool send_only = false, std::size_t batch_items = 0) {
    return request_line(worker, wire::to_line(req), detail::CallPace::kind_of(req.value("op", std::string())),
                        send_only, batch_items);
  }
  // The same for a request already written as its line (the batch encoder's).
  nlohmann::json request_line(int worker, const std::string& line, detail::CallPace::Kind kind, bool send_only,
                              std::size_t batch_items) {
    WorkerProcess& entry = worker_process(worker);
    std::lock_guard lock(entry.mutex);
    const auto limit = pace.limit(kind, batch_items, options_.call_timeout);
    if (!entry.process && entry.died) {
      throw RemoteError(std::string(wire::to_string(wire::ErrorKind::other)),
                        "the sink process that held this partition died earlier in this run");
    }
    try {
      start_if_needed(entry);
      if (send_only) {
        entry.process->send_line(line);
        return nlohmann::json::object();
      }
      const auto start = std::chrono::steady_clock::now();
      auto response = entry.process->call_line(line, limit.timeout);
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

  // Until the process of `worker` has read what was sent to it (bounded by
  // the call timeout: a sink that stops reading is killed anyway).
  void wait_until_read(int worker) {
    WorkerProcess& entry = worker_process(worker);
    std::lock_guard lock(entry.mutex);
    if (entry.process) (void)entry.process->wait_until_read(options_.call_timeout);
  }
  // The process a worker's partitions live in (one for all with the single layout).
  [[nodiscard]] int process_of(int worker) const { return options_.layout == ProcessLayout::single ? 0 : worker; }

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
  // after `at.after_acks` acknowledged ones, once it has read the request,
  // `at.into_write` of the run's mean write time later.
  struct CrashPlan {
    KillPoint at;
    std::atomic<std::int64_t> acks{0};
    std::atomic<std::int64_t> acked_ns{0};  // request to answer, summed over the acknowledged writes
    std::atomic<int> killed_worker{-1};
    std::atomic<int> killed_process{-1};  // -1 until it fires
    bool power = false;  // a power cut: every process dies, not the one worker's
    // Killed by the plan: the calls of a worker whose process it is killing
    // (or killed) fail as killed from here on; with one process for all
    // workers, none takes another's answer while the kill waits.
    [[nodiscard]] bool took(int process) const {
      const int killed = killed_process.load();
      return killed >= 0 && (power || killed == process);
    }
    // The first write past the point takes it (workers race for it): its
    // process is marked first, so no other call on it slips in.
    bool fires_on(int worker, int process) {
      if (acks.load() < at.after_acks) return false;
      if (int none = -1; !killed_process.compare_exchange_strong(none, process)) return false;
      killed_worker = worker;
      return true;
    }
    [[nodiscard]] bool fired() const { return killed_process.load() >= 0; }
    void acknowledged(std::chrono::nanoseconds took_ns) {
      acked_ns.fetch_add(took_ns.count());
      acks.fetch_add(1);
    }
    [[nodiscard]] std::chrono::nanoseconds delay() const { return at.delay_after(acks.load(), acked_ns.load()); }
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
  std::optional<detail::WriteBatchEncoder> encoder_;  // set by hello
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
  std::shared_ptr<const char> alive_ = std::make_shared<const char>('\0');
  bool drops_targets_ = false;
  bool stateful_ = false;
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
    const auto& encoder = impl_->encoder();
    const bool subtype = impl_->subtype_items;
    line_.clear();
    const auto begun = encoder.begin(line_, name_, subtype);
    for (const auto& item : batch) {
      if (item.encoded.empty()) {
        encoder.item(line_, item.key, subtype);
      } else {
        encoder.append_encoded(line_, item.encoded);
      }
    }
    encoder.end(line_, begun);
    const auto& req = line_;
    constexpr auto kind = detail::CallPace::Kind::write_batch;
    if (auto* crash = impl_->crash; crash != nullptr && crash->took(impl_->process_of(worker_))) {
      throw RemoteError("killed", "the power was cut before this write");
    }
    if (auto* crash = impl_->crash; crash != nullptr && crash->fires_on(worker_, impl_->process_of(worker_))) {
      // At 0 the crash comes before the sink has the request, as in process:
      // the state right after the acknowledged writes, where a write whose
      // reply came before it was durable shows. Sent first, the process
      // raced the signal and often began the next write (a new journal's
      // directory sync made the last commit durable after all).
      const auto delay = crash->delay();
      const bool sent = delay > std::chrono::nanoseconds::zero();
      if (sent) {
        // While it works on the write: its effect is unknown. Once it has
        // read the request, `into_write` of a write's time into its work.
        impl_->request_line(worker_, req, kind, /*send_only=*/true, batch.size());
        impl_->wait_until_read(worker_);
        std::this_thread::sleep_for(delay);
      }
      const std::string when = sent ? "during this write" : "before it sent this write";
      if (crash->power) {
        impl_->kill_all();
        throw RemoteError("killed", "the kit cut the power " + when + ": every sink process killed");
      }
      impl_->kill(worker_);
      throw RemoteError("killed", "the kit killed the sink process " + when + " (crash rule)");
    }
    const auto start = std::chrono::steady_clock::now();
    const auto r = impl_->request_line(worker_, req, kind, /*send_only=*/false, batch.size());
    detail::throw_if_failed(r);
    // The sink's own time in the call, beside the kit's end-to-end one (bench).
    if (const auto own = detail::sink_time_of(r)) detail::report_sink_time(*own);
    if (auto* crash = impl_->crash) crash->acknowledged(std::chrono::steady_clock::now() - start);
  }

  void close() {
    if (auto* crash = impl_->crash; crash != nullptr && crash->took(impl_->process_of(worker_))) {
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
  std::string line_;  // the last write_batch's request: its buffer is kept for the next
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
  const bool ahead = request.simulation.items_made_ahead;
  auto make_item = [this, ahead](const ItemKey& k) {
    return WireItem{k, ahead ? impl_->encoder().encoded_item(k, impl_->subtype_items) : std::string()};
  };
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
                                               KillPoint kill) {
  Impl::CrashPlan plan;
  plan.at = kill;
  impl_->crash = &plan;
  CrashRun out;
  try {
    out.writes = run(config, request);
  } catch (...) {
    impl_->crash = nullptr;
    throw;
  }
  impl_->crash = nullptr;
  out.killed = plan.fired();
  out.note = plan.fired() ? "killed worker " + std::to_string(plan.killed_worker.load()) + "'s process " + to_string(kill)
                       : "the run ended first";
  return out;
}

std::optional<PowerCut> WireSink::run_and_cut_power(const nlohmann::json& config, const TestTarget& target,
                                                    const RunRequest& request, KillPoint cut,
                                                    PowerCutState state) {
  if (!power_can_be_cut()) return std::nullopt;
  auto before = detail::faults::snapshot_tree(target.dir);
  impl_->begin_run();
  const auto journals = impl_->track(request.workload.workers, target.dir);
  Impl::CrashPlan plan;
  plan.at = cut;
  plan.power = true;
  impl_->crash = &plan;
  Trace writes;
  try {
    writes = run(config, request);
  } catch (...) {
    impl_->crash = nullptr;
    impl_->stop_tracking();
    throw;
  }
  impl_->crash = nullptr;
  impl_->kill_all();  // the run ended first: the cut comes right after its closes
  impl_->stop_tracking();
  // Another state of this cut begins as this one did: every sink process
  // killed (the recovery's would otherwise meet it with what they hold).
  return detail::end_power_cut(target.dir, std::move(before), journals, state, plan.fired(), std::move(writes),
                               [impl = impl_.get(), alive = impl_->alive()] {
                                 if (alive.expired()) {
                                   throw std::runtime_error("power loss: the WireSink of this cut is gone (it must "
                                                            "outlive its PowerCut)");
                                 }
                                 impl->kill_all();
                               });
}

bool WireSink::power_can_be_cut() const { return impl_->mechanism() == StorageFaultMechanism::file_system; }

void WireSink::drop_target(const TestTarget& target) {
  if (!impl_->drops_targets()) return;
  nlohmann::json config;
  try {
    config = make_config(target);
    detail::faults::substitute_proxies(config, [](const detail::faults::Endpoint& e) { return e.text(); });
    if (!impl_->drop(config)) return;
  } catch (const std::exception& e) {
    // The kit's own failure to send it: said, as a failed drop is.
    impl_->note_undropped(target.id, e.what());
    return;
  }
  impl_->remember_undropped(target.id, std::move(config));
}

bool WireSink::drops_targets() const { return impl_->drops_targets(); }

bool WireSink::stateful() const { return impl_->stateful(); }

namespace {

// One stateful run against the sink's processes (see StatefulRequest): the
// parts, their owners, each epoch's snapshots, the kill and the resume.
class StatefulDriver {
 public:
  StatefulDriver(WireSink::Impl& impl, nlohmann::json config, const StatefulRequest& request)
      : impl_(impl), config_(std::move(config)), request_(request), w_(request.workload) {
    out.trace.mode = ExecutionMode::deterministic;
    out.trace.workload = w_;
  }

  StatefulRun run() {
    impl_.begin_run();
    if (!list_and_route()) return std::move(out);
    std::map<std::string, std::optional<std::string>> fresh;
    for (const auto& p : out.parts) fresh[p] = std::nullopt;
    const int first_workers = w_.workers;
    const auto first = phase(first_workers, 0, fresh);
    if (first == Ended::failed) return std::move(out);
    if (first == Ended::completed && request_.foreign_snapshots && last_complete_epoch_ >= 0) {
      // SK-7.4: a restart after the input, each part handed another's snapshot.
      impl_.begin_run();
      out.note = "the input done; each part rebuilt with the next part's snapshot of epoch " +
                 std::to_string(last_complete_epoch_);
      foreign(first_workers, snapshots_.at(last_complete_epoch_));
      return std::move(out);
    }
    if (first == Ended::crashed) {
      out.crashed = true;
      impl_.begin_run();  // the killed processes are replaced: a new execution
      const int workers = request_.resume_workers > 0 ? request_.resume_workers : first_workers;
      const auto resume_from = last_complete_epoch_;
      out.resumed_from_epoch = resume_from;
      std::map<std::string, std::optional<std::string>> states = fresh;
      if (resume_from >= 0) states = snapshots_.at(resume_from);
      out.note += "; resumed on " + std::to_string(workers) + (workers == 1 ? " worker" : " workers") +
                  (resume_from >= 0 ? " from the snapshots of epoch " + std::to_string(resume_from) : " afresh");
      if (phase(workers, resume_from + 1, states) == Ended::failed) return std::move(out);
    }
    return std::move(out);
  }

  StatefulRun out;

 private:
  enum class Ended { completed, crashed, failed };

  // The answer to a call, a failure when the process failed in it.
  nlohmann::json call(int worker, const nlohmann::json& req) {
    return call_line(worker, wire::to_line(req), detail::CallPace::kind_of(req.value("op", std::string())), 0);
  }
  nlohmann::json call_line(int worker, const std::string& line, detail::CallPace::Kind kind, std::size_t items) {
    try {
      return impl_.request_line(worker, line, kind, /*send_only=*/false, items);
    } catch (const RemoteError& e) {
      (void)impl_.take_failure();
      return wire::encode(wire::Failure{wire::ErrorKind::other, e.kind() + ": " + e.what()});
    }
  }

  bool fail(const std::string& what, const nlohmann::json& r) {
    const auto f = wire::failure_of(r);
    if (!f) return false;
    out.failed = what + " failed: " + std::string(wire::to_string(f->kind)) + ": " + f->message;
    out.trace.aborted = true;
    out.trace.abort_reason = *out.failed;
    return true;
  }

  bool list_and_route() {
    auto r = call(0, wire::encode(wire::ListParts{config_}));
    if (fail("list_parts", r)) return false;
    if (!r.contains("parts") || !r["parts"].is_array() || r["parts"].empty()) {
      out.failed = "list_parts answered no parts: " + r.dump().substr(0, 200);
      return false;
    }
    for (const auto& p : r["parts"]) {
      if (!p.is_string()) {
        out.failed = "list_parts answered a part that is not a string: " + p.dump();
        return false;
      }
      out.parts.push_back(p.get<std::string>());
    }
    wire::Route route{config_, {}};
    for (int worker = 0; worker < w_.workers; ++worker) {
      std::int64_t seq = 0;
      for (int e = 0; e < w_.epochs; ++e) {
        for (auto size : w_.batches(worker, 0, e)) {
          for (std::uint32_t i = 0; i < size; ++i) route.keys.push_back(to_string(ItemKey{worker, 0, e, seq + i}));
          seq += size;
        }
      }
    }
    r = call(0, wire::encode(route));
    if (fail("route", r)) return false;
    if (!r.contains("parts") || !r["parts"].is_array() || r["parts"].size() != route.keys.size()) {
      out.failed = "route answered " + std::to_string(r.value("parts", nlohmann::json::array()).size()) +
                   " parts for " + std::to_string(route.keys.size()) + " keys";
      return false;
    }
    for (std::size_t i = 0; i < route.keys.size(); ++i) {
      const auto& part = r["parts"][i];
      if (!part.is_string() || std::ranges::find(out.parts, part.get<std::string>()) == out.parts.end()) {
        out.failed = "route sent " + route.keys[i] + " to " + part.dump() + ", not a part list_parts named";
        return false;
      }
      part_of_[route.keys[i]] = part.get<std::string>();
    }
    // The part writes of the first run: each input batch once per part its
    // items go to. The crash comes before one of them, whatever the request
    // asked (modulo): a request always crashes.
    std::int64_t writes = 0;
    std::size_t k = 0;
    for (int worker = 0; worker < w_.workers; ++worker) {
      for (int e = 0; e < w_.epochs; ++e) {
        for (auto size : w_.batches(worker, 0, e)) {
          std::set<std::string> parts;
          for (std::uint32_t i = 0; i < size; ++i) parts.insert(part_of_.at(route.keys[k++]));
          writes += static_cast<std::int64_t>(parts.size());
        }
      }
    }
    // writes + 1: the last crash point is after the input's last write.
    crash_after_ = request_.crash_after < 0 ? -1 : request_.crash_after % (writes + 1);
    return true;
  }

  int owner(const std::string& part, int workers) const {
    const auto index = std::ranges::find(out.parts, part) - out.parts.begin();
    return static_cast<int>(index % workers);
  }

  // Builds every part on its owner; false (and `failed`) when one fails.
  bool build_parts(int workers, const std::map<std::string, std::optional<std::string>>& states) {
    names_.clear();
    for (const auto& part : out.parts) {
      const auto name = unique_name(part);
      const auto r = call(owner(part, workers),
                          wire::encode(wire::BuildPart{name, config_, part, states.at(part),
                                                       owner(part, workers), workers}));
      const auto what = "build_part of " + part + (states.at(part) ? " (resuming)" : "");
      if (const auto f = wire::failure_of(r)) {
        // In the trace as the build it is: the failed call a cause is named by.
        TraceEvent event;
        event.kind = CallKind::build;
        // On an input worker's partition: the trace's workload knows no other.
        event.partition = PartitionId{std::min(owner(part, workers), w_.workers - 1), 0};
        event.outcome = event.sink_outcome = Outcome::threw;
        event.error_kind = std::string(wire::to_string(f->kind));
        event.message = what + ": " + f->message;
        add(event);
      }
      if (fail(what, r)) return false;
      names_[part] = name;
    }
    return true;
  }

  // Epochs `from`.. of the input on `workers` workers.
  Ended phase(int workers, std::int64_t from, const std::map<std::string, std::optional<std::string>>& states) {
    if (!build_parts(workers, states)) return Ended::failed;
    std::vector<std::int64_t> seq(static_cast<std::size_t>(w_.workers), 0);
    for (int e = 0; e < w_.epochs; ++e) {
      // Batches in delivery order: each input worker's in turn, by index.
      std::size_t most = 0;
      for (int worker = 0; worker < w_.workers; ++worker) most = std::max(most, w_.batches(worker, 0, e).size());
      for (std::size_t b = 0; b < most; ++b) {
        for (int worker = 0; worker < w_.workers; ++worker) {
          const auto& sizes = w_.batches(worker, 0, e);
          if (b >= sizes.size()) continue;
          const auto first_seq = seq[static_cast<std::size_t>(worker)];
          seq[static_cast<std::size_t>(worker)] += sizes[b];
          if (e < from) continue;  // before the resume's snapshots: not delivered again
          const auto ended = deliver(workers, worker, e, first_seq, sizes[b]);
          if (ended != Ended::completed) return ended;
        }
      }
      if (e < from) continue;  // delivered before the crash: its snapshots are kept already
      // The epoch ends. A crash planned after its last write comes before its snapshots.
      if (crash_after_ >= 0 && !crashed_ && acks_ >= crash_after_) {
        crashed_ = true;
        impl_.kill_all();
        out.note = "killed every worker after " + std::to_string(acks_) + " part writes, at the end of epoch " +
                   std::to_string(e) + " before its snapshots";
        return Ended::crashed;
      }
      // Every part's snapshot, kept as its recovery state.
      std::map<std::string, std::optional<std::string>> taken;
      for (const auto& part : out.parts) {
        const auto r = call(owner(part, workers), wire::encode(wire::Snapshot{names_.at(part)}));
        if (fail("snapshot of " + part + " at the end of epoch " + std::to_string(e), r)) return Ended::failed;
        const auto state = r.value("state", nlohmann::json());
        if (!state.is_null() && !state.is_string()) {
          out.failed = "snapshot of " + part + " answered a state that is not a string: " + state.dump();
          return Ended::failed;
        }
        taken[part] = state.is_null() ? std::nullopt : std::optional<std::string>(state.get<std::string>());
      }
      snapshots_[e] = std::move(taken);
      last_complete_epoch_ = e;
    }
    // The end of the input: every part closed; each input worker's close is
    // as good as the worst of them.
    TraceEvent close_event;
    close_event.kind = CallKind::close;
    for (const auto& part : out.parts) {
      const auto r = call(owner(part, workers), wire::encode(wire::Close{names_.at(part)}));
      if (const auto f = wire::failure_of(r)) {
        close_event.outcome = close_event.sink_outcome = Outcome::threw;
        close_event.error_kind = std::string(wire::to_string(f->kind));
        close_event.message = "close of " + part + ": " + f->message;
        if (!out.failed) out.failed = "close of " + part + " failed: " + close_event.message;
      }
    }
    for (int worker = 0; worker < w_.workers; ++worker) {
      close_event.partition = PartitionId{worker, 0};
      add(close_event);
    }
    if (out.failed) {
      out.trace.aborted = true;
      out.trace.abort_reason = *out.failed;
      return Ended::failed;
    }
    return Ended::completed;
  }

  // One input batch, split over the parts its items route to.
  Ended deliver(int workers, int worker, int epoch, std::int64_t first_seq, std::uint32_t size) {
    TraceEvent event;
    event.kind = CallKind::write_batch;
    event.partition = PartitionId{worker, 0};
    event.epoch = epoch;
    event.first_seq = first_seq;
    event.size = size;
    std::map<std::string, std::vector<ItemKey>> by_part;
    std::vector<std::string> order;
    for (std::uint32_t i = 0; i < size; ++i) {
      const auto key = ItemKey{worker, 0, epoch, first_seq + i};
      const auto& part = part_of_.at(to_string(key));
      if (!by_part.contains(part)) order.push_back(part);
      by_part[part].push_back(key);
    }
    constexpr auto kind = detail::CallPace::Kind::write_batch;
    for (const auto& part : order) {
      const auto items = by_part[part].size();
      std::string request;
      const auto& encoder = impl_.encoder();
      const auto begun = encoder.begin(request, names_.at(part), false);
      for (const auto& key : by_part[part]) encoder.item(request, key, false);
      encoder.end(request, begun);
      if (crash_after_ >= 0 && !crashed_ && acks_ >= crash_after_) {
        crashed_ = true;
        // Sent, then every process killed: the part may have begun the
        // write or not, its effect unknown (a race SK-4.3's kill, which
        // waits until the request was read, no longer has).
        try {
          (void)impl_.request_line(owner(part, workers), request, kind, /*send_only=*/true, items);
        } catch (const RemoteError&) {
          (void)impl_.take_failure();
        }
        impl_.kill_all();
        event.outcome = event.sink_outcome = Outcome::threw;
        event.error_kind = "killed";
        event.message = "the kit killed every worker during this batch's write to " + part;
        out.note = "killed every worker after " + std::to_string(acks_) + " part writes, in epoch " +
                   std::to_string(epoch);
        add(event);
        return Ended::crashed;
      }
      const auto r = call_line(owner(part, workers), request, kind, items);
      if (const auto f = wire::failure_of(r)) {
        event.outcome = event.sink_outcome = Outcome::threw;
        event.error_kind = std::string(wire::to_string(f->kind));
        event.message = "write_batch of " + part + ": " + f->message;
        add(event);
        out.failed = "write_batch of " + std::to_string(items) + " items to " + part + " failed: " + f->message;
        out.trace.aborted = true;
        out.trace.abort_reason = *out.failed;
        return Ended::failed;
      }
      ++acks_;
    }
    add(event);
    return Ended::completed;
  }

  // SK-7.4: each part built again, on fresh processes, with the next part's
  // snapshot. Only a `config` refusal is a refusal: a process that died or
  // hung in the build, or did not understand it, is the run's failure.
  void foreign(int workers, const std::map<std::string, std::optional<std::string>>& states) {
    impl_.kill_all();
    impl_.begin_run();
    for (std::size_t i = 0; i < out.parts.size(); ++i) {
      const auto& part = out.parts[i];
      const auto& other = out.parts[(i + 1) % out.parts.size()];
      if (other == part || !states.at(other)) continue;
      ++out.foreign_builds;
      const auto name = unique_name(part);
      const auto r = call(owner(part, workers), wire::encode(wire::BuildPart{name, config_, part, states.at(other),
                                                                             owner(part, workers), workers}));
      if (const auto f = wire::failure_of(r)) {
        if (f->kind == wire::ErrorKind::config) continue;  // refused, as it should be
        out.failed = "build_part of " + part + " with " + other + "'s snapshot failed, not as a refusal: " +
                     std::string(wire::to_string(f->kind)) + ": " + f->message;
        return;
      }
      out.accepted_foreign.push_back(part + " (handed " + other + "'s)");
      (void)call(owner(part, workers), wire::encode(wire::Close{name}));
    }
  }

  // A partition name no earlier run of these processes used.
  static std::string unique_name(const std::string& part) {
    static std::atomic<int> next{0};
    return "s" + std::to_string(next++) + "-" + part;
  }

  void add(TraceEvent e) {
    e.index = out.trace.events.size();
    e.start = e.end = static_cast<std::int64_t>(e.index);
    if (e.kind == CallKind::write_batch) {
      e.call = calls_[{e.partition.worker, 0}]++;
    } else if (e.kind == CallKind::close) {
      e.call = closes_[e.partition.worker]++;
    }
    out.trace.events.push_back(std::move(e));
  }

  WireSink::Impl& impl_;
  nlohmann::json config_;
  const StatefulRequest& request_;
  const Workload& w_;
  std::map<std::string, std::string> part_of_;  // item key -> part
  std::map<std::string, std::string> names_;    // part -> its partition name in this execution
  std::map<std::int64_t, std::map<std::string, std::optional<std::string>>> snapshots_;
  std::int64_t last_complete_epoch_ = -1;
  std::int64_t acks_ = 0;
  std::int64_t crash_after_ = -1;
  bool crashed_ = false;
  std::map<std::pair<int, int>, int> calls_;
  std::map<int, int> closes_;
};

}  // namespace

std::optional<StatefulRun> WireSink::run_stateful(const nlohmann::json& config, const StatefulRequest& request) {
  if (!impl_->stateful()) return std::nullopt;
  auto direct = config;  // no storage faults in these runs: the server itself
  detail::faults::substitute_proxies(direct, [](const detail::faults::Endpoint& e) { return e.text(); });
  StatefulDriver driver(*impl_, std::move(direct), request);
  auto out = driver.run();
  impl_->report_stderr_of_run();
  return out;
}

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
