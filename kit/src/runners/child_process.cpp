#include <sinkkit/runners/child_process.hpp>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <system_error>

#include <optional>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sinkkit/runners/interruption.hpp>

namespace sinkkit {
namespace detail {
void forget_interruption_handling_in_child() noexcept;  // interruption.cpp
}  // namespace detail

inline namespace runners {

namespace {

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_read() {
    if (read >= 0) ::close(read);
    read = -1;
  }
  void close_write() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

}  // namespace

std::string describe_signal(int signal) {
  const char* name = ::sigabbrev_np(signal);
  return "killed by signal " + std::to_string(signal) + (name ? " (SIG" + std::string(name) + ")" : "");
}

std::string ChildResult::describe() const {
  if (interrupted) return "was killed: the run was interrupted by " + signal_name(interruption_signal());
  if (timed_out) return "timed out (hung) and was killed";
  if (killed_by_parent) return "killed by the kit (SIGKILL) at the planned point";
  if (signal != 0) return describe_signal(signal);
  return "exited with " + std::to_string(exit_code);
}

ChildResult run_in_child(const std::function<void(int)>& body, const ChildOptions& options) {
  Pipe report, output;
  std::fflush(nullptr);  // what the parent buffered must not be printed twice
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    // Its own process group, so that whatever it starts (sink processes) can
    // be killed with it; and it dies with the kit.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);  // the kit died before the line above: so does this
    detail::forget_interruption_handling_in_child();
    report.close_read();
    output.close_read();
    ::dup2(output.write, STDOUT_FILENO);
    ::dup2(output.write, STDERR_FILENO);
    int code = 0;
    try {
      body(report.write);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "sinkkit child: uncaught exception: %s\n", e.what());
      code = 3;
    } catch (...) {
      std::fprintf(stderr, "sinkkit child: uncaught exception of unknown type\n");
      code = 3;
    }
    std::fflush(nullptr);
    ::_exit(code);  // no atexit handlers, no test framework teardown
  }

  // Its group set here too (whichever runs first), so that it is the group
  // an interruption kills, child and all it started.
  ::setpgid(pid, pid);
  std::optional<TrackedChild> tracked(std::in_place, pid, TrackedChild::Kind::group);
  report.close_write();
  output.close_write();
  ChildResult result;
  std::optional<std::chrono::steady_clock::time_point> interrupted_at;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool report_open = true, output_open = true, killed = false;
  std::array<char, 65536> buf{};
  auto kill_child = [&] {
    if (!killed) ::kill(-pid, SIGKILL);  // the group: the child and what it started
    killed = true;
  };
  while (report_open || output_open) {
    // Interrupted: the handler killed the group; what holds the pipes open
    // beyond it (a grandchild that left the group) gets a second, not minutes.
    if (interruption_signal() != 0) {
      if (!interrupted_at) {
        interrupted_at = std::chrono::steady_clock::now();
        result.interrupted = true;
        kill_child();
      } else if (std::chrono::steady_clock::now() > *interrupted_at + std::chrono::seconds(1)) {
        break;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 && !killed) {
      result.timed_out = true;
      kill_child();
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (report_open) fds[n++] = {report.read, POLLIN, 0};
    if (output_open) fds[n++] = {output.read, POLLIN, 0};
    const int wait_ms = killed ? 1000 : static_cast<int>(std::min<long long>(left.count(), 1000));
    const int ready = ::poll(fds, n, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      kill_child();
      break;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t got = ::read(fds[i].fd, buf.data(), buf.size());
      const bool is_report = fds[i].fd == report.read;
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        (is_report ? report_open : output_open) = false;
        continue;
      }
      const std::string_view chunk(buf.data(), static_cast<std::size_t>(got));
      if (is_report) {
        result.report.append(chunk);
        if (!killed && options.on_report && options.on_report(chunk)) {
          result.killed_by_parent = true;
          kill_child();
        }
      } else if (result.output.size() < options.max_output) {
        result.output.append(chunk.substr(0, options.max_output - result.output.size()));
        if (result.output.size() >= options.max_output) result.output += "\n[... output truncated by sinkkit]\n";
      }
    }
    // A killed child whose pipes stay open (a grandchild holds them) must
    // not keep the kit waiting.
    if (killed && std::chrono::steady_clock::now() > deadline + std::chrono::seconds(5)) break;
  }

  // Anything the child started and left behind goes with it. Before the
  // reap: until then the group id cannot be reused.
  ::kill(-pid, SIGKILL);
  tracked.reset();  // before the reap, after which the id may be reused
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace runners
}  // namespace sinkkit
