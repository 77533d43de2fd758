#pragma once
/// \file
/// `SinkProcess`: one sink process speaking the wire protocol (JSON Lines on
/// stdin/stdout, docs/wire-protocol.md). It bounds every call by a timeout
/// and every response line by a size, captures stderr (bounded), and turns
/// every way a child can misbehave (exit, hang, a line that is not JSON, a
/// line too long) into a `WireError` that names it. The process is always
/// reaped; the destructor kills it if it is still running.
///
/// **Example**:
///
///     sinkkit::SinkProcess p({.argv = {"python3", "my_sink.py"}});
///     nlohmann::json hello = p.call({{"op", "hello"}, {"protocol", 1}});
///     p.shutdown();

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/runners/interruption.hpp>
#include <sys/types.h>

namespace sinkkit {
namespace detail {
class ForkServer;
class ResponseLines;
}
inline namespace runners {

/// How a sink process failed the runner (not how its storage failed: that is
/// an ordinary error response).
class WireError : public std::runtime_error {
 public:
  enum class Kind { spawn, timeout, exited, malformed, too_long, protocol };
  WireError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  [[nodiscard]] Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

struct ProcessOptions {
  std::vector<std::string> argv;  ///< argv[0] is looked up in PATH
  std::chrono::milliseconds call_timeout{10'000};
  std::size_t max_line_bytes = 64ULL << 20;
  std::size_t max_stderr_bytes = 64ULL << 10;
  /// Set in the child's environment ("NAME=VALUE"), over what it inherits.
  std::vector<std::string> environment;
  /// The sink's fork server (docs/wire-protocol.md), if it offered one: the
  /// process is forked from it instead of started afresh.
  std::shared_ptr<detail::ForkServer> fork_server;
};

class SinkProcess {
 public:
  /// Starts the process. Throws `WireError(spawn)` if it cannot.
  explicit SinkProcess(ProcessOptions options);
  ~SinkProcess();
  SinkProcess(const SinkProcess&) = delete;
  SinkProcess& operator=(const SinkProcess&) = delete;

  /// Sends one request and returns its response (a JSON object). Throws
  /// `WireError` when the process exits, hangs past the call timeout, or
  /// answers with something that is not one JSON object on one bounded line;
  /// the process is then killed (its stream can no longer be trusted).
  nlohmann::json call(const nlohmann::json& request);
  /// The same, with `timeout` for this call instead of the call timeout.
  nlohmann::json call(const nlohmann::json& request, std::chrono::milliseconds timeout);

  /// Sends a request without waiting for the answer (the crash rule kills
  /// the process while it works on it).
  void send(const nlohmann::json& request);

  /// `call` and `send` for a request already written as one JSON line,
  /// `'\n'` included (the runner writes write_batch requests itself).
  nlohmann::json call_line(std::string_view line, std::chrono::milliseconds timeout);
  void send_line(std::string_view line);
  /// Waits until the process has read everything sent to it (its stdin
  /// pipe holds nothing), it ended, or `limit` passed; true in the first
  /// case. The crash rule's kill then lands in the sink's work on it.
  bool wait_until_read(std::chrono::milliseconds limit);

  /// SIGKILL and reap. Idempotent.
  void kill() noexcept;
  /// Asks it to shut down and waits (up to the call timeout) for it to exit;
  /// kills it otherwise. Returns true when it exited 0 on its own.
  bool shutdown() noexcept;

  [[nodiscard]] bool running() const noexcept { return pid_ > 0; }
  /// The process id it had (also once it ended).
  [[nodiscard]] pid_t pid() const noexcept { return spawned_pid_; }
  /// What the process wrote to stderr (the first `max_stderr_bytes`, then a
  /// count of what was dropped).
  [[nodiscard]] std::string stderr_text() const;
  /// Reads what is waiting on stderr, then returns `stderr_text()` and
  /// forgets it: each call gives what came since the last one.
  std::string take_stderr();
  /// "exited with 3", "killed by signal 9", or "running".
  [[nodiscard]] std::string status_text() const;
  [[nodiscard]] std::string command_text() const;

 private:
  void write_line(std::string_view line, std::chrono::steady_clock::time_point deadline);
  std::string read_line(std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds timeout);
  void drain_stderr();
  void reap(bool block) noexcept;
  [[noreturn]] void fail(WireError::Kind kind, const std::string& what);

  ProcessOptions options_;
  pid_t pid_ = -1;  // -1 once reaped
  std::unique_ptr<TrackedChild> tracked_;  // killed if the run is interrupted, until reaped
  pid_t spawned_pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  std::unique_ptr<detail::ResponseLines> pending_;  // stdout bytes after the last complete line
  std::string stderr_;
  std::size_t stderr_dropped_ = 0;
  int exit_status_ = -1;  // from waitpid, once reaped
  int status_fd_ = -1;     // forked by a fork server: it sends the wait status here
  bool status_lost_ = false;  // that server died first
};

}  // namespace runners
}  // namespace sinkkit
