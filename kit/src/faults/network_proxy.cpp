#include "network_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

namespace sinkkit::detail::faults {

namespace {

// {proxy:HOST:PORT} is the address; {proxy_host:...} and {proxy_port:...}
// its two halves, for configs that keep them apart.
enum class Part { address, host, port };
constexpr std::array<std::pair<std::string_view, Part>, 3> kMarkers{
    {{"{proxy:", Part::address}, {"{proxy_host:", Part::host}, {"{proxy_port:", Part::port}}};

// Where the next marker of `s` starts at or after `from`, and which.
std::optional<std::pair<std::size_t, std::size_t>> next_marker(const std::string& s, std::size_t from) {
  std::optional<std::pair<std::size_t, std::size_t>> best;
  for (std::size_t i = 0; i < kMarkers.size(); ++i) {
    const auto at = s.find(kMarkers[i].first, from);
    if (at != std::string::npos && (!best || at < best->first)) best = {at, i};
  }
  return best;
}

// HOST:PORT of a `{proxy:HOST:PORT}`; throws naming it when it is not one
// the proxy may forward to.
Endpoint parse_endpoint(std::string_view marker, const std::string& spec) {
  const std::string shown = std::string(marker) + spec + "}";
  const auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw std::invalid_argument(shown + ": expected {proxy:HOST:PORT}, e.g. {proxy:127.0.0.1:5432}");
  }
  Endpoint e{spec.substr(0, colon), 0};
  const std::string port = spec.substr(colon + 1);
  unsigned long n = 0;
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      (n = std::stoul(port)) == 0 || n > 65535) {
    throw std::invalid_argument(shown + ": the port must be a number from 1 to 65535, got '" + port + "'");
  }
  e.port = static_cast<std::uint16_t>(n);
  in_addr a{};
  const bool loopback = e.host == "localhost" ||
                        (::inet_pton(AF_INET, e.host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127);
  if (!loopback) {
    throw std::invalid_argument(shown + ": the fault proxy forwards only to loopback servers (127.0.0.0/8 or "
                                "localhost), the kind a test starts for itself");
  }
  return e;
}

std::string part_of(const std::string& address, Part part) {
  const auto colon = address.rfind(':');
  if (part == Part::host) return address.substr(0, colon);
  if (part == Part::port) return address.substr(colon + 1);
  return address;
}

// Calls `each(endpoint)` on every marker of `s`, replacing it with (its part
// of) the result. A string that is one {proxy_port:...} alone becomes a number.
nlohmann::json replace_in(const std::string& s, const std::function<std::string(const Endpoint&)>& each) {
  std::string out;
  std::size_t from = 0;
  bool only_port = false;
  while (auto m = next_marker(s, from)) {
    const auto [at, which] = *m;
    const auto [marker, part] = kMarkers[which];
    const auto end = s.find('}', at);
    if (end == std::string::npos) throw std::invalid_argument("'" + s + "': a " + std::string(marker) + " without its closing }");
    out += s.substr(from, at - from);
    out += part_of(each(parse_endpoint(marker, s.substr(at + marker.size(), end - at - marker.size()))), part);
    only_port = part == Part::port && at == 0 && end + 1 == s.size();
    from = end + 1;
  }
  out += s.substr(from);
  if (only_port) return std::stoi(out);
  return out;
}

void close_quietly(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Closes with a reset (RST) rather than an orderly end of stream.
void reset(int& fd) {
  if (fd < 0) return;
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close_quietly(fd);
}

void nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

std::string fault_call(StorageFaultKind k) {
  switch (k) {
    case StorageFaultKind::stall: return "stall";
    case StorageFaultKind::drop_requests: return "drop requests";
    case StorageFaultKind::drop_replies: return "drop replies";
    default: return "reset";  // a file kind aimed at a connection: a reset
  }
}

}  // namespace

// Named (not anonymous): FaultProxy::State holds them.
namespace proxy {

enum class Mode { pass, stalled, drop_requests, drop_replies };

struct Connection {
  int client = -1;
  int server = -1;
  int worker = 0;
  int serial = 0;  // the worker's n-th connection
  std::string server_text;
  std::string to_server, to_client;  // read, not yet written
  bool client_done = false, server_done = false;  // their sending side ended
  Mode mode = Mode::pass;
  std::chrono::steady_clock::time_point reset_at{};
  bool gone = false;

  void drop() {
    reset(client);
    reset(server);
    gone = true;
  }
};

struct Listener {
  int fd = -1;
  int worker = 0;
  Endpoint server;
  sockaddr_in to{};
  std::string address;
};

struct Window {
  bool open = false;
  StorageFault fault;
  int skip_left = 0;
  std::optional<FiredStorageFault> fired;
  int first_after_fire = -1;  // the serial of the worker's first connection accepted after the fault
};

}  // namespace proxy

using proxy::Connection;
using proxy::Listener;
using proxy::Mode;
using proxy::Window;

struct FaultProxy::State {
  std::chrono::milliseconds stall;
  std::mutex mutex;
  bool stop = false;
  std::array<int, 2> wake{-1, -1};
  std::vector<Listener> listeners;
  std::vector<Connection> connections;
  std::map<int, Window> windows;       // by worker
  std::map<int, int> accepted;         // connections per worker so far

  void poke() const {
    const char c = 1;
    [[maybe_unused]] auto n = ::write(wake[1], &c, 1);
  }

  void loop();
  void accept_from(const Listener& listener, std::unique_lock<std::mutex>& lock);
  void on_request(Connection& c, std::string bytes);
  void pump(Connection& c, short client_events, short server_events);
  void fire(Connection& c, Window& w);
};

// Connects to `to`, waiting at most 5 s (a loopback connect completes or is
// refused at once, unless the server's accept queue is full).
static int connect_to(const sockaddr_in& to) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0) return fd;
  int error = errno;
  if (error == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    socklen_t len = sizeof error;
    if (::poll(&p, 1, 5000) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0) {
      return fd;
    }
  }
  ::close(fd);
  return -1;
}

// Called with `lock` held; connects to the server without it, so that a slow
// connect never holds up arm, disarm or address.
void FaultProxy::State::accept_from(const Listener& listener, std::unique_lock<std::mutex>& lock) {
  const Listener l = listener;  // `listeners` may grow while the lock is released
  for (;;) {
    const int client = ::accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;  // EAGAIN: all taken
    Connection c;
    c.client = client;
    c.worker = l.worker;
    c.serial = accepted[l.worker]++;
    c.server_text = l.server.text();
    lock.unlock();
    c.server = connect_to(l.to);
    lock.lock();
    if (c.server < 0) {
      c.drop();  // the client sees what a refused connection through a middlebox looks like
      continue;
    }
    const int one = 1;
    ::setsockopt(c.server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(c.client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    nonblocking(c.client);
    connections.push_back(std::move(c));
  }
}

void FaultProxy::State::fire(Connection& c, Window& w) {
  FiredStorageFault f;
  f.call = fault_call(w.fault.kind);
  f.path = c.server_text;
  f.error = ECONNRESET;
  f.network = true;
  w.fired = f;
  w.first_after_fire = accepted[c.worker];
  switch (w.fault.kind) {
    case StorageFaultKind::stall: c.mode = Mode::stalled; break;
    case StorageFaultKind::drop_requests: c.mode = Mode::drop_requests; break;
    case StorageFaultKind::drop_replies: c.mode = Mode::drop_replies; break;
    default: c.drop(); return;
  }
  c.reset_at = std::chrono::steady_clock::now() + stall;
}

// Bytes the client sent: the window decides whether they go on.
void FaultProxy::State::on_request(Connection& c, std::string bytes) {
  if (auto it = windows.find(c.worker); it != windows.end() && it->second.open) {
    Window& w = it->second;
    // A retry is a connection opened after the fault (not one from before it, a pool's, say).
    if (w.fired && c.serial >= w.first_after_fire) w.fired->retried = true;
    if (!w.fired && c.mode == Mode::pass) {
      if (w.skip_left > 0) {
        --w.skip_left;
      } else {
        fire(c, w);
        if (c.mode != Mode::drop_replies) return;  // this request never reaches the server
      }
    }
  }
  if (c.mode == Mode::drop_requests || c.mode == Mode::stalled || c.gone) return;
  c.to_server += bytes;
}

// Moves what can move on one connection, given what poll said.
void FaultProxy::State::pump(Connection& c, short client_events, short server_events) {
  std::array<char, 64 * 1024> buf{};
  auto read_side = [&](int fd, bool& done) -> std::optional<std::string> {
    const auto n = ::read(fd, buf.data(), buf.size());
    if (n > 0) return std::string(buf.data(), static_cast<std::size_t>(n));
    if (n == 0) done = true;
    else if (errno != EAGAIN && errno != EINTR) c.drop();
    return std::nullopt;
  };
  auto write_side = [&](int fd, std::string& pending) {
    const auto n = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n > 0) pending.erase(0, static_cast<std::size_t>(n));
    else if (n < 0 && errno != EAGAIN && errno != EINTR) c.drop();
  };
  if (c.mode == Mode::stalled) return;  // nothing moves until the reset
  if (!c.gone && (client_events & (POLLIN | POLLHUP | POLLERR)) != 0) {
    if (auto bytes = read_side(c.client, c.client_done)) on_request(c, std::move(*bytes));
  }
  if (!c.gone && (server_events & (POLLIN | POLLHUP | POLLERR)) != 0) {
    if (auto bytes = read_side(c.server, c.server_done); bytes && c.mode != Mode::drop_replies) c.to_client += *bytes;
  }
  if (!c.gone && (server_events & POLLOUT) != 0 && !c.to_server.empty()) write_side(c.server, c.to_server);
  if (!c.gone && (client_events & POLLOUT) != 0 && !c.to_client.empty()) write_side(c.client, c.to_client);
  if (c.gone || c.mode != Mode::pass) return;
  // An end of stream is passed on once what came before it is.
  if (c.client_done && c.to_server.empty()) ::shutdown(c.server, SHUT_WR);
  if (c.server_done && c.to_client.empty()) ::shutdown(c.client, SHUT_WR);
  if (c.client_done && c.server_done && c.to_server.empty() && c.to_client.empty()) {
    close_quietly(c.client);
    close_quietly(c.server);
    c.gone = true;
  }
}

void FaultProxy::State::loop() {
  std::unique_lock lock(mutex);
  std::vector<pollfd> fds;
  while (!stop) {
    // What each connection waits for: a side is read only when what it sent
    // before is written (back-pressure), and not at all while stalled.
    fds.clear();
    fds.push_back({wake[0], POLLIN, 0});
    for (const auto& l : listeners) fds.push_back({l.fd, POLLIN, 0});
    int timeout = -1;
    const auto now = std::chrono::steady_clock::now();
    for (const auto& c : connections) {
      short ce = 0, se = 0;
      if (c.mode != Mode::stalled) {
        if (!c.client_done && c.to_server.empty()) ce |= POLLIN;
        if (!c.to_client.empty()) ce |= POLLOUT;
        if (!c.server_done && c.to_client.empty()) se |= POLLIN;
        if (!c.to_server.empty()) se |= POLLOUT;
      }
      if (c.mode != Mode::pass) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c.reset_at - now).count() + 1;
        timeout = timeout < 0 ? static_cast<int>(std::max<long long>(0, left))
                              : std::min(timeout, static_cast<int>(std::max<long long>(0, left)));
      }
      // A side waited for in no way is left out (a negative fd): an ended
      // stream would otherwise report a hang-up on every poll.
      fds.push_back({ce != 0 ? c.client : -1, ce, 0});
      fds.push_back({se != 0 ? c.server : -1, se, 0});
    }
    lock.unlock();
    const int ready = ::poll(fds.data(), fds.size(), timeout);
    lock.lock();
    if (stop) break;
    if (ready < 0 && errno != EINTR) {
      // Not expected (EINVAL, ENOMEM): every proxied connection is reset, so
      // sinks see the failure at once rather than a silent hang.
      for (auto& c : connections) c.drop();
      connections.clear();
      continue;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      std::array<char, 64> drain{};
      while (::read(wake[0], drain.data(), drain.size()) > 0) {
      }
    }
    // Connections first (indexes as polled), then new ones.
    const std::size_t listener_count = fds.size() - 1 - 2 * connections.size();
    for (std::size_t i = 0; i < connections.size(); ++i) {
      const auto& cf = fds[1 + listener_count + 2 * i];
      const auto& sf = fds[2 + listener_count + 2 * i];
      pump(connections[i], cf.revents, sf.revents);
    }
    for (std::size_t i = 0; i < listener_count && !stop; ++i) {
      if ((fds[1 + i].revents & POLLIN) != 0) accept_from(listeners[i], lock);
    }
    const auto later = std::chrono::steady_clock::now();
    for (auto& c : connections) {
      if (!c.gone && c.mode != Mode::pass && later >= c.reset_at) c.drop();
    }
    std::erase_if(connections, [](const Connection& c) { return c.gone; });
  }
}

bool names_proxy(const nlohmann::json& config) {
  if (config.is_string()) return next_marker(config.get_ref<const std::string&>(), 0).has_value();
  if (config.is_object() || config.is_array()) {
    return std::any_of(config.begin(), config.end(), [](const nlohmann::json& v) { return names_proxy(v); });
  }
  return false;
}

void substitute_proxies(nlohmann::json& config, const std::function<std::string(const Endpoint&)>& address_of) {
  if (config.is_string()) {
    const auto& s = config.get_ref<const std::string&>();
    if (next_marker(s, 0)) config = replace_in(s, address_of);
  } else if (config.is_object() || config.is_array()) {
    for (auto& v : config) substitute_proxies(v, address_of);
  }
}

FaultProxy::FaultProxy(std::chrono::milliseconds stall) : state_(std::make_unique<State>()) {
  state_->stall = stall;
  if (::pipe2(state_->wake.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error(std::string("fault proxy: cannot make its wake-up pipe: ") + std::strerror(errno));
  }
  thread_ = std::thread([s = state_.get()] { s->loop(); });
}

FaultProxy::~FaultProxy() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stop = true;
  }
  state_->poke();
  thread_.join();
  for (auto& c : state_->connections) c.drop();
  for (auto& l : state_->listeners) close_quietly(l.fd);
  close_quietly(state_->wake[0]);
  close_quietly(state_->wake[1]);
}

std::string FaultProxy::address(int worker, const Endpoint& server) {
  std::lock_guard lock(state_->mutex);
  for (const auto& l : state_->listeners) {
    if (l.worker == worker && l.server == server) return l.address;
  }
  Listener l;
  l.worker = worker;
  l.server = server;
  l.to.sin_family = AF_INET;
  l.to.sin_port = htons(server.port);
  if (server.host == "localhost") {
    l.to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  } else {
    ::inet_pton(AF_INET, server.host.c_str(), &l.to.sin_addr);  // checked by parse_endpoint
  }
  l.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in here{};
  here.sin_family = AF_INET;
  here.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof here;
  if (l.fd < 0 || ::bind(l.fd, reinterpret_cast<sockaddr*>(&here), sizeof here) != 0 || ::listen(l.fd, 64) != 0 ||
      ::getsockname(l.fd, reinterpret_cast<sockaddr*>(&here), &len) != 0) {
    const int err = errno;
    close_quietly(l.fd);
    throw std::runtime_error("fault proxy: cannot listen on loopback for " + server.text() + ": " + std::strerror(err));
  }
  l.address = "127.0.0.1:" + std::to_string(ntohs(here.sin_port));
  state_->listeners.push_back(l);
  state_->poke();
  return l.address;
}

void FaultProxy::arm(PartitionId p, const StorageFault& fault) {
  std::lock_guard lock(state_->mutex);
  state_->windows[p.worker] = Window{true, fault, fault.skip, std::nullopt, -1};
}

std::optional<FiredStorageFault> FaultProxy::disarm(PartitionId p) {
  std::lock_guard lock(state_->mutex);
  auto& w = state_->windows[p.worker];
  w.open = false;
  return std::exchange(w.fired, std::nullopt);
}

}  // namespace sinkkit::detail::faults
