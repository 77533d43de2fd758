#include <sinkkit/runners/sink_process.hpp>

#include <algorithm>

#include <sinkkit/runners/child_process.hpp>
#include <sinkkit/runners/wire_messages.hpp>

#include "fork_server.hpp"
#include "process_resources.hpp"
#include "wire_responses.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sinkkit {
inline namespace runners {

namespace {

using Clock = std::chrono::steady_clock;

int ms_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1000));
}

constexpr int kRequestPipeBytes = 256 << 10;

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

SinkProcess::SinkProcess(ProcessOptions options)
    : options_(std::move(options)), pending_(std::make_unique<detail::ResponseLines>(options_.max_line_bytes)) {
  if (options_.argv.empty()) throw WireError(WireError::Kind::spawn, "no sink command given");
  // A write to a dead child must be an error we handle, not a signal that ends us.
  std::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw WireError(WireError::Kind::spawn, std::string("pipe: ") + std::strerror(errno));
  }
  // From the sink's fork server when it has one (a fork, not a new program);
  // else, or when that fails, a new process.
  std::string spawn_error;
  if (options_.fork_server) {
    if (const auto child = options_.fork_server->fork(in[0], out[1], err[1], options_.environment)) {
      pid_ = child->pid;
      status_fd_ = child->status_fd;
    }
  }
  if (pid_ < 0) {
    try {
      pid_ = detail::spawn_process(options_.argv, options_.environment, in[0], out[1], err[1]);
    } catch (const std::exception& e) {
      spawn_error = e.what();
    }
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_ = out[0];
  err_ = err[0];
  if (pid_ < 0) {
    ::close(in_), ::close(out_), ::close(err_);
    in_ = out_ = err_ = -1;
    throw WireError(WireError::Kind::spawn, spawn_error);
  }
  spawned_pid_ = pid_;
  tracked_ = std::make_unique<TrackedChild>(pid_, TrackedChild::Kind::process);
  // A batch of thousands of items is a line of a few hundred KiB: in the
  // default 64 KiB pipe it went over in pieces, a context switch each. Only
  // the requests' pipe, and 256 KiB: a user's pipes share a budget
  // (fs/pipe-user-pages-soft, 64 MiB), which 1 MiB for both pipes spent at
  // 32 sink processes, leaving every later pipe of the user 8 KiB. Best
  // effort: refused, the pipe keeps its size.
  (void)::fcntl(in_, F_SETPIPE_SZ, kRequestPipeBytes);
  set_nonblocking(in_);
  set_nonblocking(out_);
  set_nonblocking(err_);
}

SinkProcess::~SinkProcess() {
  kill();
  for (int fd : {in_, out_, err_, status_fd_})
    if (fd >= 0) ::close(fd);
}

std::string SinkProcess::command_text() const { return detail::command_text(options_.argv); }

void SinkProcess::fail(WireError::Kind kind, const std::string& what) {
  const bool was_running = running();
  kill();
  std::string message = "sink process '" + command_text() + "' " + what;
  if (was_running || exit_status_ >= 0) message += " (" + status_text() + ")";
  throw WireError(kind, message);
}

void SinkProcess::drain_stderr() {
  if (err_ < 0) return;
  std::array<char, 65536> buf;  // not zeroed: read() fills what is used
  for (;;) {
    const auto n = ::read(err_, buf.data(), buf.size());
    if (n <= 0) {
      if (n == 0) {
        ::close(err_);
        err_ = -1;
      }
      return;
    }
    const auto room = options_.max_stderr_bytes > stderr_.size() ? options_.max_stderr_bytes - stderr_.size() : 0;
    const auto take = std::min<std::size_t>(room, static_cast<std::size_t>(n));
    stderr_.append(buf.data(), take);
    stderr_dropped_ += static_cast<std::size_t>(n) - take;
  }
}

void SinkProcess::write_line(std::string_view line, Clock::time_point deadline) {
  std::size_t off = 0;
  while (off < line.size()) {
    if (!running() || in_ < 0) fail(WireError::Kind::exited, "is not running");
    const auto n = ::write(in_, line.data() + off, line.size() - off);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EPIPE) fail(WireError::Kind::exited, "closed its stdin (it exited?)");
    if (n < 0 && errno != EAGAIN && errno != EINTR) fail(WireError::Kind::exited, std::string("write: ") + std::strerror(errno));
    // The pipe is full: wait for room, draining stderr meanwhile (a child
    // blocked on a full stderr would never read its stdin).
    if (Clock::now() >= deadline) fail(WireError::Kind::timeout, "did not read its request within the call timeout");
    pollfd fds[2] = {{in_, POLLOUT, 0}, {err_, POLLIN, 0}};
    ::poll(fds, err_ >= 0 ? 2 : 1, ms_until(deadline));
    drain_stderr();
  }
}

std::string SinkProcess::read_line(Clock::time_point deadline, std::chrono::milliseconds timeout) {
  std::array<char, 65536> buf;  // not zeroed: read() fills what is used
  for (;;) {
    try {
      if (auto line = pending_->next()) return std::move(*line);
    } catch (const WireError& e) {
      fail(e.kind(), e.what());
    }
    if (out_ < 0) fail(WireError::Kind::exited, "closed its stdout before answering");
    if (Clock::now() >= deadline) {
      fail(WireError::Kind::timeout,
           "did not answer within " + std::to_string(timeout.count()) + " ms (hung?)");
    }
    pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
    const int nfds = err_ >= 0 ? 2 : 1;
    const int ready = ::poll(fds, nfds, ms_until(deadline));
    if (ready < 0 && errno != EINTR) fail(WireError::Kind::exited, std::string("poll: ") + std::strerror(errno));
    if (nfds == 2 && fds[1].revents != 0) drain_stderr();  // not a read per answer that finds nothing
    if (fds[0].revents == 0) continue;
    for (;;) {
      const auto n = ::read(out_, buf.data(), buf.size());
      if (n > 0) {
        pending_->append(std::string_view(buf.data(), static_cast<std::size_t>(n)));
        if (pending_->ready()) break;
        continue;
      }
      if (n == 0) {
        ::close(out_);
        out_ = -1;
        reap(/*block=*/false);
      }
      break;
    }
  }
}

nlohmann::json SinkProcess::call(const nlohmann::json& request) { return call(request, options_.call_timeout); }

nlohmann::json SinkProcess::call(const nlohmann::json& request, std::chrono::milliseconds timeout) {
  return call_line(wire::to_line(request), timeout);
}

nlohmann::json SinkProcess::call_line(std::string_view request, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  write_line(request, deadline);
  const std::string line = read_line(deadline, timeout);
  try {
    return detail::parse_response_line(line);
  } catch (const WireError& e) {
    fail(e.kind(), e.what());
  }
}

void SinkProcess::send(const nlohmann::json& request) { send_line(wire::to_line(request)); }

void SinkProcess::send_line(std::string_view line) { write_line(line, Clock::now() + options_.call_timeout); }

bool SinkProcess::wait_until_read(std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  for (;;) {
    int unread = 0;
    // FIONREAD on either end of a pipe: the bytes in it.
    if (in_ < 0 || ::ioctl(in_, FIONREAD, &unread) != 0) return false;
    if (unread == 0) return true;
    drain_stderr();  // a sink blocked on a full stderr would never read on
    reap(/*block=*/false);
    if (!running() || Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

void SinkProcess::reap(bool block) noexcept {
  if (pid_ <= 0) return;
  if (status_fd_ >= 0) {
    // Not our child but the fork server's, which reaps it and sends its
    // status (bounded: a server that stops answering loses it).
    pollfd p{status_fd_, POLLIN, 0};
    int ready;
    do {
      ready = ::poll(&p, 1, block ? 10'000 : 0);
    } while (ready < 0 && errno == EINTR);
    if (ready == 0 && !block) return;
    std::array<char, 32> buf{};
    const auto n = ready > 0 ? ::read(status_fd_, buf.data(), buf.size() - 1) : 0;
    tracked_.reset();
    if (n > 0) {
      exit_status_ = std::atoi(buf.data());
    } else {
      status_lost_ = true;
    }
    ::close(status_fd_);
    status_fd_ = -1;
    pid_ = -1;
    return;
  }
  // Waited for without reaping first, and untracked before the reap: once
  // reaped, its pid may be reused, and an interruption must not kill that.
  siginfo_t info{};
  int w;
  do {
    w = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT | (block ? 0 : WNOHANG));
  } while (w < 0 && errno == EINTR);
  if (w != 0 || info.si_pid != pid_) return;  // still running (or not ours to wait for)
  tracked_.reset();
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_status_ = status;
    pid_ = -1;
  }
}

void SinkProcess::kill() noexcept {
  if (pid_ > 0) {
    detail::kill_process_tree(pid_);
    reap(/*block=*/true);
  }
  drain_stderr();
}

bool SinkProcess::shutdown() noexcept {
  if (!running()) return exit_status_ >= 0 && WIFEXITED(exit_status_) && WEXITSTATUS(exit_status_) == 0;
  try {
    (void)call(wire::encode(wire::Shutdown{}));
  } catch (const std::exception&) {
    return false;  // call() killed it
  }
  // End of input too: what else reads the requests (a wrapper's `tee`, a
  // reader thread) ends with it, rather than hold the process open until
  // the timeout kills it.
  if (in_ >= 0) {
    ::close(in_);
    in_ = -1;
  }
  const auto deadline = Clock::now() + options_.call_timeout;
  while (running() && Clock::now() < deadline) {
    reap(/*block=*/false);
    if (running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (running()) {
    kill();
    return false;
  }
  drain_stderr();
  return WIFEXITED(exit_status_) && WEXITSTATUS(exit_status_) == 0;
}

std::string SinkProcess::take_stderr() {
  drain_stderr();
  auto text = stderr_text();
  stderr_.clear();
  stderr_dropped_ = 0;
  return text;
}

std::string SinkProcess::stderr_text() const {
  if (stderr_dropped_ == 0) return stderr_;
  return stderr_ + "\n[... " + std::to_string(stderr_dropped_) + " more bytes of stderr dropped by sinkkit]\n";
}

std::string SinkProcess::status_text() const {
  if (pid_ > 0) return "running";
  if (status_lost_) return "ended, its status lost with the fork server it came from";
  if (exit_status_ < 0) return "not started";
  if (WIFEXITED(exit_status_)) return "exited with " + std::to_string(WEXITSTATUS(exit_status_));
  if (WIFSIGNALED(exit_status_)) return describe_signal(WTERMSIG(exit_status_));
  return "ended";
}

}  // namespace runners
}  // namespace sinkkit
