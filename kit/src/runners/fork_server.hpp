#pragma once
// The kit's end of a sink's fork server (docs/wire-protocol.md, "Fork
// server"): a process of the sink's command that has done its start-up once
// and forks a fresh sink process per request. A Python sink pays its
// interpreter start and imports once per run instead of once per process.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace sinkkit {
inline namespace runners {
class TrackedChild;
}

namespace detail {

/// "python3 my_sink.py": the command as one line, for messages.
std::string command_text(const std::vector<std::string>& argv);

/// Starts `argv` with `environment` set over the inherited one and the given
/// descriptors as its stdin, stdout and stderr. Returns its pid; throws
/// `std::runtime_error` naming the command and why it could not start.
pid_t spawn_process(const std::vector<std::string>& argv, const std::vector<std::string>& environment, int in,
                    int out, int err);

class ForkServer {
 public:
  /// A process started by fork() from this server: `status_fd` gets its wait
  /// status (decimal text) when it ends, or end of file if the server died.
  struct Child {
    pid_t pid = -1;
    int status_fd = -1;
  };

  /// Starts the server. Throws `std::runtime_error` if it cannot start.
  ForkServer(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
             std::chrono::milliseconds timeout);
  /// In the process that started it: end of input, the server kills what it
  /// still runs and exits. In a forked copy (a rule's process): nothing.
  ~ForkServer();
  ForkServer(const ForkServer&) = delete;
  ForkServer& operator=(const ForkServer&) = delete;

  /// A fresh sink process with these descriptors as stdin, stdout and stderr
  /// and `environment` set. Any process descending from the one that started
  /// the server may ask. Nullopt when it cannot: the first time in a process,
  /// it says why on stderr, and it is not asked again by that process (the
  /// caller starts its processes itself).
  std::optional<Child> fork(int in, int out, int err, const std::vector<std::string>& environment);
  /// True once fork() failed in this process.
  [[nodiscard]] bool failed();

 private:
  int control_ = -1;
  pid_t pid_ = -1;
  pid_t owner_ = -1;
  std::unique_ptr<TrackedChild> tracked_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  pid_t broken_in_ = -1;  // the process in which it failed
};

}  // namespace detail
}  // namespace sinkkit
