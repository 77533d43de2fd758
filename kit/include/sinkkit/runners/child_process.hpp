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

#include <chrono>
#include <cstddef>
#include <functional>
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

/// Forks; the child runs `body(report_fd)` and exits with 0 (or 3 when body
/// throws). Throws `std::system_error` if the process cannot be created.
ChildResult run_in_child(const std::function<void(int report_fd)>& body, const ChildOptions& options = {});

}  // namespace runners
}  // namespace sinkkit
