#include <sinkkit/runners/interruption.hpp>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <mutex>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sinkkit {
inline namespace runners {

namespace {

// What the signal handler may touch: fixed storage, atomics, syscalls.
constexpr int kSlots = 512;
std::array<std::atomic<pid_t>, kSlots> g_tracked{};  // 0 free; pid, or -pgid
std::atomic<int> g_signal{0};
std::atomic<int> g_supervisor{-1};  // the runner's end of the socket pair to the supervisor
std::once_flag g_installed;

// A message to the supervisor: track (1) or forget (0) a kill target.
struct SupervisorMessage {
  std::int32_t track;
  std::int32_t target;
};
static_assert(sizeof(SupervisorMessage) <= 64, "sent whole");

void tell_supervisor(bool track, pid_t target) noexcept {
  const int fd = g_supervisor.load();
  if (fd < 0) return;
  const SupervisorMessage m{track ? 1 : 0, static_cast<std::int32_t>(target)};
  ssize_t n;
  do {
    n = ::send(fd, &m, sizeof m, MSG_NOSIGNAL);  // a dead supervisor is no reason to die of SIGPIPE
  } while (n < 0 && errno == EINTR);
}

void kill_tracked() noexcept {
  for (auto& slot : g_tracked) {
    const pid_t target = slot.load();
    if (target != 0) ::kill(target, SIGKILL);
  }
}

void on_signal(int sig) {
  const int saved = errno;
  int none = 0;
  const bool first = g_signal.compare_exchange_strong(none, sig);
  kill_tracked();
  if (!first) ::_exit(128 + sig);  // a second signal: no more clean-up
  errno = saved;
}

// The supervisor: a process of its own (and of its own process group, so a
// kill of the runner's group spares it) that keeps the runner's list of
// kill targets and, when the runner's end of their socket closes (the runner
// exited or was killed, SIGKILL included), kills whatever is still on it.
// Forked from a process that may have threads: only async-signal-safe calls.
[[noreturn]] void supervise(int from_runner) noexcept {
  ::setpgid(0, 0);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::signal(sig, SIG_IGN);
  // Holding none of the runner's descriptors: a reader waiting for the
  // runner's output to end must not wait for the supervisor too.
  // Above 2 first: a runner started with stdin closed gave it descriptor 0.
  if (from_runner < 3) from_runner = ::fcntl(from_runner, F_DUPFD, 3);
  const int null = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
  ::dup2(from_runner, 3);
  if (::close_range(4, ~0U, 0) != 0) {
    for (int fd = 4; fd < 1024; ++fd) ::close(fd);
  }
  static pid_t targets[4096];
  int count = 0;
  SupervisorMessage m{};
  std::size_t have = 0;
  for (;;) {
    const ssize_t n = ::read(3, reinterpret_cast<char*>(&m) + have, sizeof m - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the runner is gone
    have += static_cast<std::size_t>(n);
    if (have < sizeof m) continue;
    have = 0;
    if (m.track != 0) {
      if (count < 4096) targets[count++] = m.target;
    } else {
      for (int i = 0; i < count; ++i) {
        if (targets[i] == m.target) {
          targets[i] = targets[--count];
          break;
        }
      }
    }
  }
  for (int i = 0; i < count; ++i) ::kill(targets[i], SIGKILL);
  ::_exit(0);
}

void start_supervisor() {
  int fds[2];  // a socket pair, for send(MSG_NOSIGNAL); used one way, as a pipe
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return;  // no supervisor: signals still handled
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return;
  }
  if (pid == 0) {
    ::close(fds[1]);
    supervise(fds[0]);
  }
  ::close(fds[0]);
  g_supervisor.store(fds[1]);
}

}  // namespace

void install_interruption_handling() {
  std::call_once(g_installed, [] {
    start_supervisor();
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocking call returns EINTR and its loop looks at the signal
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      // A signal ignored at start stays ignored (nohup, `cmd &` in a script).
      struct sigaction old {};
      if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
      ::sigaction(sig, &sa, nullptr);
    }
  });
}

int interruption_signal() noexcept { return g_signal.load(); }

std::string signal_name(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    case SIGKILL:
      return "SIGKILL";
    default:
      return "signal " + std::to_string(signal);
  }
}

TrackedChild::TrackedChild(pid_t pid, Kind kind) noexcept : target_(kind == Kind::group ? -pid : pid), slot_(-1) {
  if (pid <= 0) return;
  for (int i = 0; i < kSlots; ++i) {
    pid_t free = 0;
    if (g_tracked[static_cast<std::size_t>(i)].compare_exchange_strong(free, target_)) {
      slot_ = i;
      break;
    }
  }
  tell_supervisor(true, target_);
  // Interrupted before it was tracked: it goes now, as the others did.
  if (g_signal.load() != 0) ::kill(target_, SIGKILL);
}

TrackedChild::~TrackedChild() {
  if (slot_ >= 0) g_tracked[static_cast<std::size_t>(slot_)].store(0);
  if (target_ != 0) tell_supervisor(false, target_);
}

}  // namespace runners

namespace detail {

// For a forked child that is not the runner (a rule's process): the
// runner's handlers are not its own. It dies by SIGKILL from the runner,
// with its process group.
void forget_interruption_handling_in_child() noexcept {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
  for (auto& slot : g_tracked) slot.store(0);
  // Its sink processes are in its group, which the runner tracks; pids it
  // sent the supervisor would be left there if it were killed before
  // forgetting them, and killed later under whatever process reuses them.
  if (const int fd = g_supervisor.exchange(-1); fd >= 0) ::close(fd);
}

}  // namespace detail
}  // namespace sinkkit
