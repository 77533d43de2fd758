#pragma once
/// \file
/// Stopping a run on SIGINT, SIGTERM or SIGHUP (Ctrl-C, a cancelled CI job,
/// `timeout`) without leaving anything behind and without losing what was
/// judged. `install_interruption_handling()` installs the handlers and starts
/// a small supervisor process; every child the kit starts (a rule's process
/// group, a sink process) is tracked with `TrackedChild`. A first signal
/// SIGKILLs every tracked child and records itself: the runner stops after
/// the rule in progress, which is reported as not run, writes its reports
/// and exits with 128 + the signal. A second signal during that clean-up ends
/// the process at once. If the runner itself is SIGKILLed, the supervisor
/// sees its pipe close and kills what was still tracked.
///
/// **Example**:
///
///     #include <sinkkit/rules/catalogue.hpp>
///
///     sinkkit::install_interruption_handling();  // once, early in main
///     for (const sinkkit::Rule& rule : sinkkit::catalogue()) {
///       if (sinkkit::interruption_signal() != 0) break;  // the rest are not run
///       std::cout << rule.id << "\n";
///     }
///     if (const int sig = sinkkit::interruption_signal()) return 128 + sig;  // 130 for SIGINT, 143 for SIGTERM

#include <string>
#include <sys/types.h>

namespace sinkkit {
inline namespace runners {

/// Installs the handlers for SIGINT, SIGTERM and SIGHUP and starts the
/// supervisor. Idempotent. Without it, signals keep their default actions
/// and `interruption_signal()` stays 0.
void install_interruption_handling();

/// 0, or the signal that interrupted the run.
[[nodiscard]] int interruption_signal() noexcept;

/// "SIGINT", "SIGTERM", "SIGHUP", or "signal N".
[[nodiscard]] std::string signal_name(int signal);

/// A child process, or a whole process group, that an interruption (or the
/// runner's death, through the supervisor) SIGKILLs. Tracked from
/// construction to destruction; the process must still be unreaped while
/// tracked, so that its pid cannot be reused meanwhile.
class TrackedChild {
 public:
  enum class Kind { process, group };
  TrackedChild(pid_t pid, Kind kind) noexcept;
  ~TrackedChild();
  TrackedChild(const TrackedChild&) = delete;
  TrackedChild& operator=(const TrackedChild&) = delete;

 private:
  pid_t target_;  // pid, or -pgid for a group (as kill() takes it)
  int slot_;
};

}  // namespace runners
}  // namespace sinkkit
