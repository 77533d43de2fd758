#include <sinkkit/runners/harness.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <tuple>

#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <sinkkit/simulation/storage_fault_injector.hpp>

#include "../faults/fault_control.hpp"
#include "../faults/power_loss.hpp"
#include "power_cut.hpp"
#include "process_resources.hpp"

namespace sinkkit::detail {

namespace {

// One line per write the child saw: "B|A worker branch epoch call first_seq size\n".
// Written with one write(2) each (shorter than PIPE_BUF, so never torn).
void report(int fd, char tag, const TraceEvent& e) {
  char line[160];
  const int n = std::snprintf(line, sizeof line, "%c %d %d %lld %d %lld %u\n", tag, e.partition.worker,
                              e.partition.branch, static_cast<long long>(e.epoch), e.call,
                              static_cast<long long>(e.first_seq), e.size);
  if (n > 0) (void)!::write(fd, line, static_cast<std::size_t>(n));
}

// Asks the parent for the SIGKILL and stops the whole process where it is
// (the kill then lands exactly here, however long the parent takes): only
// async-signal-safe calls, as the timer's handler makes them too.
int kill_request_fd = -1;
void ask_for_the_kill() {
  (void)!::write(kill_request_fd, "K\n", 2);
  (void)::kill(::getpid(), SIGSTOP);
}
[[noreturn]] void ask_for_the_kill_and_wait() {
  ask_for_the_kill();
  for (;;) ::pause();
}
// Later, from a timer (no thread: a child forked from a threaded parent
// must not start one under ThreadSanitizer).
void ask_for_the_kill_in(std::chrono::nanoseconds delay) {
  struct sigaction action {};
  action.sa_handler = [](int) { ask_for_the_kill(); };
  ::sigaction(SIGALRM, &action, nullptr);
  itimerval timer{};
  const auto us = std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::microseconds>(delay).count());
  timer.it_value.tv_sec = static_cast<time_t>(us / 1'000'000);
  timer.it_value.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  ::setitimer(ITIMER_REAL, &timer, nullptr);
}

class FatalWrite {
 public:
  explicit FatalWrite(KillPoint kill) : kill_(kill) {}

  // The delay before asking for the kill if `e` is the fatal write.
  std::optional<std::chrono::nanoseconds> begins(const TraceEvent& e) {
    std::lock_guard lock(mutex_);
    began_[key(e)] = std::chrono::steady_clock::now();
    if (chosen_ || acks_ < kill_.after_acks) return std::nullopt;
    chosen_ = true;
    partition_ = e.partition;
    call_ = e.call;
    return kill_.delay_after(acks_, acked_ns_);
  }
  [[nodiscard]] bool chosen() {
    std::lock_guard lock(mutex_);
    return chosen_;
  }
  [[nodiscard]] bool is(const TraceEvent& e) {
    std::lock_guard lock(mutex_);
    return chosen_ && e.partition == partition_ && e.call == call_;
  }
  void acknowledged(const TraceEvent& e) {
    std::lock_guard lock(mutex_);
    ++acks_;
    if (const auto it = began_.find(key(e)); it != began_.end()) {
      acked_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - it->second)
                       .count();
      began_.erase(it);
    }
  }

 private:
  static std::tuple<int, int, int> key(const TraceEvent& e) {
    return {e.partition.worker, e.partition.branch, e.call};
  }
  std::map<std::tuple<int, int, int>, std::chrono::steady_clock::time_point> began_;
  std::mutex mutex_;
  KillPoint kill_;
  std::int64_t acks_ = 0;
  std::int64_t acked_ns_ = 0;
  bool chosen_ = false;
  PartitionId partition_;
  std::int32_t call_ = 0;
};

}  // namespace

bool in_process_storage_faults_loaded() { return faults::in_process_block() != nullptr; }

std::unique_ptr<StorageFaultInjector> in_process_storage_faults(const std::filesystem::path& root) {
  faults::ControlBlock* block = faults::in_process_block();
  if (block == nullptr) return nullptr;
  // Every partition of the process shares its one block.
  return std::make_unique<faults::InterposerInjector>([block](PartitionId) { return block; }, root);
}

std::optional<ResourceUsage> current_process_usage() {
  auto self = look_at_process(::getpid());
  if (!self) return std::nullopt;
  return ResourceUsage{{std::move(*self)}};
}

CrashRun crash_run(const Workload& workload, KillPoint kill, const CrashRunBody& run) {
  // The child stops itself at the kill point and waits there for the kit's
  // SIGKILL. Killing it when the parent reads the N-th ack instead let a fast
  // child run ahead, even through close, before the kill landed: the crash
  // then came too late, and a sink that loses unflushed items passed.
  ChildOptions options;
  options.timeout = std::chrono::minutes(2);
  bool line_start = true;
  options.on_report = [&line_start](std::string_view chunk) {
    for (const char c : chunk) {
      if (line_start && c == 'K') return true;
      line_start = c == '\n';
    }
    return false;
  };
  auto child = run_in_child(
      [&](int fd) {
        kill_request_fd = fd;
        FatalWrite fatal(kill);
        // Once the fatal write began, nothing else starts: the process waits
        // for its kill (a write that threw, a close, the run's end).
        const auto wait_if_fatal_began = [&fatal] {
          if (fatal.chosen()) for (;;) ::pause();
        };
        run(
            [fd, &fatal, &wait_if_fatal_began](const TraceEvent& e) {
              wait_if_fatal_began();
              report(fd, 'B', e);
              const auto delay = fatal.begins(e);
              if (!delay) return;
              // This write is in flight when the process dies.
              if (*delay <= std::chrono::nanoseconds::zero()) ask_for_the_kill_and_wait();
              ask_for_the_kill_in(*delay);  // while the sink works on it
            },
            [fd, &fatal](const TraceEvent& e) {
              // The fatal write's answer never counts: it came after the
              // kill was decided, and the process is about to die.
              if (fatal.is(e)) for (;;) ::pause();
              report(fd, 'A', e);
              fatal.acknowledged(e);
            },
            // "C worker branch epoch call outcome 0": a close and how it ended.
            [fd, &wait_if_fatal_began](const TraceEvent& e) {
              wait_if_fatal_began();
              TraceEvent c = e;
              c.first_seq = e.outcome == Outcome::ok ? 1 : 0;
              report(fd, 'C', c);
            });
        wait_if_fatal_began();
      },
      options);

  CrashRun out;
  out.killed = child.killed_by_parent;
  out.note = child.describe() + (child.killed_by_parent ? " " + to_string(kill) : std::string());
  out.writes.workload = workload;
  out.writes.plan = FaultPlan{};
  std::istringstream lines(child.report);
  std::string line;
  std::uint64_t index = 0;
  while (std::getline(lines, line)) {
    if (lines.eof() && !child.report.empty() && child.report.back() != '\n') break;  // torn last line
    std::istringstream in(line);
    char tag = 0;
    TraceEvent e;
    long long epoch = 0, first = 0;
    unsigned size = 0;
    if (line == "K") continue;
    if (!(in >> tag >> e.partition.worker >> e.partition.branch >> epoch >> e.call >> first >> size)) continue;
    if (tag == 'C') {
      e.kind = CallKind::close;
      e.index = index++;
      e.sink_outcome = e.outcome = first == 1 ? Outcome::ok : Outcome::threw;
      out.writes.events.push_back(e);
      continue;
    }
    e.kind = CallKind::write_batch;
    e.epoch = epoch;
    e.first_seq = first;
    e.size = size;
    if (tag == 'B') {
      e.index = index++;
      e.sink_outcome = e.outcome = Outcome::threw;  // until its ack arrives
      e.error_kind = "killed";
      e.message = "the process was killed during this call";
      out.writes.events.push_back(e);
    } else {
      for (auto it = out.writes.events.rbegin(); it != out.writes.events.rend(); ++it) {
        if (it->kind == CallKind::write_batch && it->partition == e.partition && it->call == e.call) {
          it->sink_outcome = it->outcome = Outcome::ok;
          it->error_kind.clear();
          it->message.clear();
          break;
        }
      }
    }
  }
  return out;
}

std::optional<PowerCut> power_cut_run(const std::filesystem::path& target, const Workload& workload,
                                      KillPoint cut, PowerCutState state, const CrashRunBody& run) {
  faults::ControlBlock* block = faults::in_process_block();
  if (block == nullptr) return std::nullopt;
  auto before = faults::snapshot_tree(target);
  // Beside the target, not in it: the cut rewrites what is in it. A name of
  // its own: an earlier cut's PowerCut may still keep its journal.
  static std::atomic<int> next_journal{0};
  const auto journal = target.parent_path() / (target.filename().string() + ".journal-" + std::to_string(::getpid()) +
                                               "-" + std::to_string(next_journal++));
  std::error_code ec;
  std::filesystem::remove(journal, ec);
  CrashRun crash = crash_run(workload, cut, [&](const WriteHook& b, const WriteHook& a, const WriteHook& c) {
    faults::start_tracking(*block, target, journal);  // in the child: its copy of the block
    run(b, a, c);
  });
  // Recovery runs in this process, which no cut touched: nothing to kill
  // before another state.
  return end_power_cut(target, std::move(before), {journal}, state, crash.killed, std::move(crash.writes), nullptr);
}

namespace {

// What another state of the same cut is made from, kept as long as a
// PowerCut that may ask for one lives.
struct KeptCut {
  std::filesystem::path target;
  faults::TreeSnapshot before;
  std::vector<std::filesystem::path> journals;
  std::vector<bool> journalled;  // which journals the run wrote (the others were never made)
  Trace writes;  // as the run left them
  bool mid_run = false;
  bool wrote = false;
  std::function<void()> power_off;
  KeptCut() = default;
  KeptCut(const KeptCut&) = delete;
  KeptCut& operator=(const KeptCut&) = delete;
  ~KeptCut() {
    std::error_code ec;
    for (const auto& j : journals) std::filesystem::remove(j, ec);
  }
};

PowerCut cut_from(const std::shared_ptr<const KeptCut>& kept, PowerCutState state, bool again) {
  if (again) {
    // A journal gone (its sink under test destroyed with its files) would
    // make a state without that process's changes: refused.
    for (std::size_t i = 0; i < kept->journals.size(); ++i) {
      std::error_code ec;
      if (kept->journalled[i] && !std::filesystem::exists(kept->journals[i], ec)) {
        throw std::runtime_error("power loss: the journal " + kept->journals[i].string() +
                                 " of this cut is gone (the sink under test must outlive its PowerCut)");
      }
    }
    if (kept->power_off) kept->power_off();
  }
  PowerCut out;
  out.mid_run = kept->mid_run;
  out.wrote = kept->wrote;
  out.state = faults::cut_power(kept->target, kept->before, kept->journals, {state.strict, state.seed}).description;
  out.writes = kept->writes;
  out.writes.aborted = true;
  out.writes.abort_reason = std::string(kept->mid_run ? "power cut during a write" : "power cut right after the run's closes") +
                            " (" + (state.strict ? "strict" : "seed " + std::to_string(state.seed)) + "): " + out.state;
  out.recut = [kept](PowerCutState other) { return cut_from(kept, other, true); };
  return out;
}

}  // namespace

PowerCut end_power_cut(const std::filesystem::path& target, faults::TreeSnapshot before,
                       std::vector<std::filesystem::path> journals, PowerCutState state, bool mid_run, Trace writes,
                       std::function<void()> power_off) {
  auto kept = std::make_shared<KeptCut>();
  kept->target = target;
  kept->before = std::move(before);
  kept->journals = std::move(journals);
  kept->writes = std::move(writes);
  kept->mid_run = mid_run;
  kept->power_off = std::move(power_off);
  for (const auto& j : kept->journals) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(j, ec);  // a journal is made at the first change
    kept->journalled.push_back(!ec);
    kept->wrote = kept->wrote || (!ec && size > 0);
  }
  return cut_from(kept, state, false);
}

}  // namespace sinkkit::detail
