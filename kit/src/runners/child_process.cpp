#include <sinkkit/runners/child_process.hpp>

#include <sinkkit/detail/signal_text.hpp>

#include <algorithm>
#include <array>
#include <span>
#include <vector>
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

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// A pipe whose ends close with it (both O_CLOEXEC).
struct ChildPipe {
  int read = -1;
  int write = -1;
  ChildPipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
    read = fds[0];
    write = fds[1];
  }
  ~ChildPipe() {
    close_read();
    close_write();
  }
  ChildPipe(const ChildPipe&) = delete;
  ChildPipe& operator=(const ChildPipe&) = delete;
  void close_read() {
    if (read >= 0) ::close(read);
    read = -1;
  }
  void close_write() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};
}  // namespace detail

inline namespace runners {

std::string describe_signal(int signal) { return detail::killed_by_signal(signal); }

std::string ChildResult::describe() const {
  if (interrupted) return "was killed: the run was interrupted by " + signal_name(interruption_signal());
  if (timed_out) return "timed out (hung) and was killed";
  if (killed_by_parent) return "killed by the kit (SIGKILL) at the planned point";
  if (signal != 0) return describe_signal(signal);
  return "exited with " + std::to_string(exit_code);
}

struct RunningChild::State {
  ChildOptions options;
  detail::ChildPipe report, output;
  pid_t pid = -1;
  std::optional<TrackedChild> tracked;
  ChildResult result;
  std::optional<std::chrono::steady_clock::time_point> interrupted_at;
  std::chrono::steady_clock::time_point deadline;
  bool report_open = true, output_open = true, killed = false, gave_up = false, reaped = false;

  bool finished() const noexcept { return gave_up || (!report_open && !output_open); }

  void kill_child() {
    if (!killed) ::kill(-pid, SIGKILL);  // the group: the child and what it started
    killed = true;
  }

  // Before each poll: an interruption or the deadline kills the child. Returns
  // how long this child lets the poll wait.
  std::chrono::milliseconds check_time() {
    const auto now = std::chrono::steady_clock::now();
    // Interrupted: the handler killed the group; what holds the pipes open
    // beyond it (a grandchild that left the group) gets a second, not minutes.
    if (interruption_signal() != 0) {
      if (!interrupted_at) {
        interrupted_at = now;
        result.interrupted = true;
        kill_child();
      } else if (now > *interrupted_at + std::chrono::seconds(1)) {
        gave_up = true;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (left.count() <= 0 && !killed) {
      result.timed_out = true;
      kill_child();
    }
    // A killed child whose pipes stay open (a grandchild holds them) must
    // not keep the kit waiting.
    if (killed && now > deadline + std::chrono::seconds(5)) gave_up = true;
    return killed ? std::chrono::milliseconds(1000) : std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(1000));
  }

  void read_from(int fd, std::span<char> buf) {
    const ssize_t got = ::read(fd, buf.data(), buf.size());
    const bool is_report = fd == report.read;
    if (got <= 0) {
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) return;
      (is_report ? report_open : output_open) = false;
      return;
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

  void reap() {
    if (reaped) return;
    reaped = true;
    // Anything the child started and left behind goes with it. Before the
    // reap: until then the group id cannot be reused.
    ::kill(-pid, SIGKILL);
    tracked.reset();  // before the reap, after which the id may be reused
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    // The interruption's handler kills the child's group itself: a child
    // that did not end well once a signal came was stopped by it, even when
    // its pipes closed before a check saw the signal.
    if (interruption_signal() != 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) result.interrupted = true;
  }
};

RunningChild::RunningChild(const std::function<void(int)>& body, const ChildOptions& options)
    : state_(std::make_unique<State>()) {
  auto& s = *state_;
  s.options = options;
  std::fflush(nullptr);  // what the parent buffered must not be printed twice
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) detail::throw_errno("fork");
  if (pid == 0) {
    // Its own process group, so that whatever it starts (sink processes) can
    // be killed with it; and it dies with the kit.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);  // the kit died before the line above: so does this
    detail::forget_interruption_handling_in_child();
    s.report.close_read();
    s.output.close_read();
    ::dup2(s.output.write, STDOUT_FILENO);
    ::dup2(s.output.write, STDERR_FILENO);
    int code = 0;
    try {
      body(s.report.write);
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
  s.pid = pid;
  // Its group set here too (whichever runs first), so that it is the group
  // an interruption kills, child and all it started.
  ::setpgid(pid, pid);
  s.tracked.emplace(pid, TrackedChild::Kind::group);
  s.report.close_write();
  s.output.close_write();
  s.deadline = std::chrono::steady_clock::now() + options.timeout;
}

RunningChild::~RunningChild() {
  if (state_ && !state_->reaped) {
    state_->kill_child();
    state_->reap();
  }
}

bool RunningChild::finished() const noexcept { return state_->finished(); }

void RunningChild::pump(std::span<RunningChild* const> children, std::chrono::milliseconds max_wait) {
  std::vector<pollfd> fds;
  std::vector<State*> owners;
  auto wait = max_wait;
  for (RunningChild* child : children) {
    State& s = *child->state_;
    if (s.finished()) continue;  // done before this call: nothing to read
    wait = std::min(wait, s.check_time());
    if (s.finished()) {
      wait = std::chrono::milliseconds(0);  // done now: the caller has work, the others are only read
      continue;
    }
    if (s.report_open) fds.push_back({s.report.read, POLLIN, 0}), owners.push_back(&s);
    if (s.output_open) fds.push_back({s.output.read, POLLIN, 0}), owners.push_back(&s);
  }
  if (fds.empty()) return;
  const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
  if (ready < 0) {
    if (errno == EINTR) return;
    for (State* s : owners) s->kill_child(), s->gave_up = true;
    return;
  }
  std::array<char, 65536> buf;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].revents != 0) owners[i]->read_from(fds[i].fd, buf);
  }
}

ChildResult RunningChild::wait() {
  RunningChild* self = this;
  while (!state_->finished()) pump(std::span(&self, 1), std::chrono::milliseconds(1000));
  state_->reap();
  return std::move(state_->result);
}

ChildResult run_in_child(const std::function<void(int)>& body, const ChildOptions& options) {
  return RunningChild(body, options).wait();
}

}  // namespace runners
}  // namespace sinkkit
