#include "fork_server.hpp"

#include <sinkkit/runners/interruption.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace sinkkit::detail {

std::string command_text(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

namespace {

std::runtime_error errno_error(const std::string& what) { return std::runtime_error(what + ": " + std::strerror(errno)); }

// Sends `text` with `fds` attached, as one message.
void send_with_fds(int socket, const std::string& text, const std::array<int, 5>& fds) {
  iovec io{const_cast<char*>(text.data()), text.size()};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * 5)> control{};
  msghdr msg{};
  msg.msg_iov = &io;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  ssize_t n;
  do {
    n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw errno_error("cannot reach it");
}

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

}  // namespace

pid_t spawn_process(const std::vector<std::string>& argv, const std::vector<std::string>& environment, int in,
                    int out, int err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);  // the kit ignores it; the sink gets the usual behaviour back
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_ptrs;
  for (auto& a : args) arg_ptrs.push_back(a.data());
  arg_ptrs.push_back(nullptr);
  // The inherited environment, with `environment` set over it.
  std::vector<std::string> set = environment;
  std::vector<char*> envp;
  for (auto& e : set) envp.push_back(e.data());
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('=') + 1);
    const bool overridden = std::any_of(environment.begin(), environment.end(),
                                        [&](const std::string& o) { return o.compare(0, name.size(), name) == 0; });
    if (!overridden) envp.push_back(*e);
  }
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, arg_ptrs[0], &actions, &attr, arg_ptrs.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("cannot start '" + command_text(argv) + "': " + std::strerror(rc));
  return pid;
}

ForkServer::ForkServer(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                       std::chrono::milliseconds timeout)
    : owner_(::getpid()), timeout_(timeout) {
  std::signal(SIGPIPE, SIG_IGN);
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) throw errno_error("socketpair");
  Fd theirs(pair[1]);
  control_ = pair[0];
  Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  auto env = environment;
  env.emplace_back("SINKKIT_FORK_SERVER=1");
  try {
    // Its stderr is ours: it says something only when it fails.
    pid_ = spawn_process(argv, env, theirs.fd, null.fd, STDERR_FILENO);
  } catch (...) {
    ::close(control_);
    throw;
  }
  tracked_ = std::make_unique<TrackedChild>(pid_, TrackedChild::Kind::process);
}

ForkServer::~ForkServer() {
  ::close(control_);
  if (::getpid() != owner_) return;  // the server is the starting process's child
  // End of input: it kills its children and exits; a server that does not
  // is killed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  tracked_.reset();
}

bool ForkServer::failed() {
  std::lock_guard lock(mutex_);
  return broken_in_ == ::getpid();
}

std::optional<ForkServer::Child> ForkServer::fork(int in, int out, int err,
                                                 const std::vector<std::string>& environment) {
  {
    std::lock_guard lock(mutex_);
    if (broken_in_ == ::getpid()) return std::nullopt;
  }
  try {
    int reply[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, reply) != 0) throw errno_error("socketpair");
    Fd ours(reply[0]), theirs(reply[1]);
    int status[2];
    if (::pipe2(status, O_CLOEXEC) != 0) throw errno_error("pipe");
    Fd status_ours(status[0]), status_theirs(status[1]);
    nlohmann::json env = nlohmann::json::object();
    for (const auto& e : environment) {
      const auto eq = e.find('=');
      env[e.substr(0, eq)] = eq == std::string::npos ? "" : e.substr(eq + 1);
    }
    const nlohmann::json request = {{"env", env}, {"pgid", ::getpgrp()}};
    send_with_fds(control_, request.dump(), {theirs.fd, in, out, err, status_theirs.fd});
    ::close(theirs.release());
    ::close(status_theirs.release());
    pollfd p{ours.fd, POLLIN, 0};
    int ready;
    do {
      ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) throw std::runtime_error("it did not answer within " + std::to_string(timeout_.count()) + " ms");
    std::array<char, 4096> buf{};
    const auto n = ::recv(ours.fd, buf.data(), buf.size(), 0);
    if (n <= 0) throw std::runtime_error("it closed the request unanswered (it died?)");
    const auto answer = nlohmann::json::parse(std::string_view(buf.data(), static_cast<std::size_t>(n)), nullptr,
                                              /*allow_exceptions=*/false);
    if (!answer.is_object() || !(answer.contains("ok") && answer["ok"] == true) || !answer.contains("pid") ||
        !answer["pid"].is_number_integer() || answer["pid"].get<long long>() <= 0) {
      const auto message = answer.is_object() && answer.contains("message") && answer["message"].is_string()
                               ? answer["message"].get<std::string>()
                               : std::string(buf.data(), static_cast<std::size_t>(n));
      throw std::runtime_error("it refused: " + message);
    }
    return Child{static_cast<pid_t>(answer["pid"].get<long long>()), status_ours.release()};
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    if (broken_in_ != ::getpid()) {
      broken_in_ = ::getpid();
      std::cerr << "sinkkit: the sink's fork server failed (" << e.what()
                << "); this process starts its sink processes afresh\n";
    }
    return std::nullopt;
  }
}

}  // namespace sinkkit::detail
