#pragma once
/// \file
/// `run_in_child`: runs a function in a forked process, so that a sink that
/// segfaults, aborts or hangs takes down that process and not the kit. The
/// parent reads what the child reports on a pipe, captures the child's
/// stdout and stderr (bounded), enforces a timeout, and always reaps the
/// child: no zombie is left behind.
///
/// **Example**:
///
///     auto r = sinkkit::run_in_child([](int out) { ::write(out, "ok", 2); }, {.timeout = std::chrono::seconds(5)});
///     if (r.signal != 0) std::cerr << r.describe();  // "killed by signal 11 (SIGSEGV)"
///
/// Several at once (`run_suite --jobs`): start each as a `RunningChild` and
/// pump them together; no threads, since a process with threads must not fork.
///
///     std::vector<std::unique_ptr<sinkkit::RunningChild>> kids;
///     for (int i = 0; i < 2; ++i) kids.push_back(std::make_unique<sinkkit::RunningChild>([](int) {}));
///     const std::vector<sinkkit::RunningChild*> both{kids[0].get(), kids[1].get()};
///     while (!kids[0]->finished() || !kids[1]->finished()) sinkkit::RunningChild::pump(both, std::chrono::seconds(1));
///     std::cout << kids[0]->wait().describe();  // "exited with 0"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace sinkkit {
inline namespace runners {

struct ChildOptions {
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  /// Bytes of the child's stdout+stderr kept (the first ones, then a marker).
  std::size_t max_output = 64 * 1024;
  /// Called with each chunk the child writes to its report pipe; returning
  /// true SIGKILLs the child right away (the crash tests' kill point).
  std::function<bool(std::string_view chunk)> on_report;
};

struct ChildResult {
  std::string report;  ///< everything the child wrote to its report fd
  std::string output;  ///< the child's stdout and stderr, bounded
  bool timed_out = false;
  bool killed_by_parent = false;  ///< on_report asked for the kill
  bool interrupted = false;       ///< the run was interrupted (runners/interruption.hpp): killed with it
  int exit_code = -1;             ///< when it exited
  int signal = 0;                 ///< when a signal ended it
  /// "exited with 0", "killed by signal 11 (SIGSEGV)", "timed out after 30 s", ...
  [[nodiscard]] std::string describe() const;
  [[nodiscard]] bool exited_ok() const noexcept { return !interrupted && !timed_out && signal == 0 && exit_code == 0; }
};

/// "killed by signal 11 (SIGSEGV)": how the kit names a signal that ended a process.
std::string describe_signal(int signal);

/// A forked child running `body(report_fd)` while the kit does other work.
/// Its pipes are read by `pump` (several children in one poll) or `wait`.
class RunningChild {
 public:
  /// Forks; the child runs `body(report_fd)` and exits with 0 (or 3 when body
  /// throws). Throws `std::system_error` if the process cannot be created.
  explicit RunningChild(const std::function<void(int report_fd)>& body, const ChildOptions& options = {});
  /// A child not waited for is killed (with its group) and reaped.
  ~RunningChild();
  RunningChild(const RunningChild&) = delete;
  RunningChild& operator=(const RunningChild&) = delete;

  /// Its pipes are closed (or the kit gave up on them): `wait` returns at once.
  [[nodiscard]] bool finished() const noexcept;
  /// Reads what it writes until it finishes, reaps it, and gives the account.
  /// Call once.
  ChildResult wait();
  /// Reads what `children` write for up to `max_wait`, returning early once
  /// one of them finishes; enforces each one's timeout. Children finished
  /// before the call are skipped.
  static void pump(std::span<RunningChild* const> children, std::chrono::milliseconds max_wait);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Forks and waits: `RunningChild(body, options).wait()`.
ChildResult run_in_child(const std::function<void(int report_fd)>& body, const ChildOptions& options = {});

}  // namespace runners
}  // namespace sinkkit
