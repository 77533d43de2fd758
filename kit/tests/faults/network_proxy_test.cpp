// The TCP fault proxy between a client and a loopback echo server: what it
// forwards while no window is open, what each fault kind does to the
// connection that carries the next request (and what reaches the server),
// that windows are per worker and fire once, and how {proxy:HOST:PORT} is
// read. Its thread meets the callers' (arm, disarm, address): run under TSan
// too (label "threads").

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "faults/network_proxy.hpp"

namespace {

using namespace sinkkit;
using sinkkit::detail::faults::Endpoint;
using sinkkit::detail::faults::FaultProxy;
using namespace std::chrono_literals;

// Echoes every connection's bytes back, and counts what it received.
class EchoServer {
 public:
  EchoServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listener_, 16), 0);
    EXPECT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~EchoServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  [[nodiscard]] Endpoint endpoint() const { return {"127.0.0.1", port_}; }
  [[nodiscard]] std::size_t received() const { return received_.load(); }

 private:
  void serve() {
    std::vector<int> conns;
    while (!stop_) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (int c : conns) fds.push_back({c, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) conns.push_back(::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC));
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        char buf[4096];
        const auto n = ::read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          ::close(fds[i].fd);
          std::erase(conns, fds[i].fd);
          continue;
        }
        received_ += static_cast<std::size_t>(n);
        (void)::send(fds[i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
      }
    }
    for (int c : conns) ::close(c);
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> received_{0};
  std::thread thread_;
};

// A client connection to "127.0.0.1:PORT".
class Client {
 public:
  explicit Client(const std::string& address) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1))));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    timeval tv{5, 0};  // a hung proxy fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }
  // Sends `s` and waits for as many bytes back: the echo, or "" with the
  // error that ended the wait (0: the stream ended).
  std::pair<std::string, int> round_trip(const std::string& s) {
    if (::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(s.size())) return {"", errno};
    std::string got;
    while (got.size() < s.size()) {
      char buf[4096];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return {"", n == 0 ? 0 : errno};
      got.append(buf, static_cast<std::size_t>(n));
    }
    return {got, 0};
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

StorageFault network_fault(StorageFaultKind kind, int skip = 0) {
  StorageFault f;
  f.kind = kind;
  f.skip = skip;
  return f;
}

TEST(NetworkProxy, ForwardsBothWaysWhileNoWindowIsOpen) {
  EchoServer server;
  FaultProxy proxy(200ms);
  Client c(proxy.address(0, server.endpoint()));
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.round_trip("hello").first, "hello");
  EXPECT_EQ(c.round_trip(std::string(300'000, 'x')).first.size(), 300'000U);  // larger than one read
  EXPECT_EQ(server.received(), 300'005U);
  proxy.arm({0, 0}, network_fault(StorageFaultKind::connection_reset));
  EXPECT_EQ(proxy.disarm({0, 0}), std::nullopt);  // a window with no request fails nothing
  EXPECT_EQ(c.round_trip("again").first, "again");
}

TEST(NetworkProxy, AResetFailsTheNextRequestBeforeTheServerSeesIt) {
  EchoServer server;
  FaultProxy proxy(200ms);
  Client c(proxy.address(0, server.endpoint()));
  ASSERT_EQ(c.round_trip("one").first, "one");
  proxy.arm({0, 0}, network_fault(StorageFaultKind::connection_reset));
  const auto [got, error] = c.round_trip("two");
  EXPECT_EQ(got, "");
  EXPECT_EQ(error, ECONNRESET);
  const auto fired = proxy.disarm({0, 0});
  ASSERT_TRUE(fired.has_value());
  EXPECT_TRUE(fired->network);
  EXPECT_EQ(fired->call, "reset");
  EXPECT_EQ(fired->path, server.endpoint().text());
  EXPECT_FALSE(fired->retried);
  EXPECT_EQ(fired->to_text(), "the connection to " + server.endpoint().text() + " was reset (injected)");
  EXPECT_EQ(server.received(), 3U);  // "two" never arrived
}

TEST(NetworkProxy, SkipLetsThatManyRequestsThroughFirst) {
  EchoServer server;
  FaultProxy proxy(200ms);
  Client c(proxy.address(0, server.endpoint()));
  proxy.arm({0, 0}, network_fault(StorageFaultKind::connection_reset, 2));
  EXPECT_EQ(c.round_trip("a").first, "a");
  EXPECT_EQ(c.round_trip("b").first, "b");
  EXPECT_EQ(c.round_trip("c").second, ECONNRESET);
  EXPECT_TRUE(proxy.disarm({0, 0}).has_value());
}

TEST(NetworkProxy, DroppedRepliesReachTheServerButNeverTheClient) {
  EchoServer server;
  FaultProxy proxy(150ms);
  Client c(proxy.address(0, server.endpoint()));
  proxy.arm({0, 0}, network_fault(StorageFaultKind::drop_replies));
  const auto start = std::chrono::steady_clock::now();
  const auto [got, error] = c.round_trip("commit");
  EXPECT_EQ(got, "");
  EXPECT_EQ(error, ECONNRESET);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);  // held for the stall time first
  EXPECT_EQ(server.received(), 6U);
  const auto fired = proxy.disarm({0, 0});
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->call, "drop replies");
}

TEST(NetworkProxy, DroppedRequestsAndStallsReachNothingThenReset) {
  for (auto kind : {StorageFaultKind::drop_requests, StorageFaultKind::stall}) {
    SCOPED_TRACE(to_string(kind));
    EchoServer server;
    FaultProxy proxy(100ms);
    Client c(proxy.address(0, server.endpoint()));
    proxy.arm({0, 0}, network_fault(kind));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(c.round_trip("lost").second, ECONNRESET);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
    EXPECT_EQ(server.received(), 0U);
    ASSERT_TRUE(proxy.disarm({0, 0}).has_value());
  }
}

TEST(NetworkProxy, AFaultFiresOnceAndANewConnectionCountsAsARetry) {
  EchoServer server;
  FaultProxy proxy(200ms);
  const auto address = proxy.address(0, server.endpoint());
  proxy.arm({0, 0}, network_fault(StorageFaultKind::connection_reset));
  {
    Client first(address);
    EXPECT_EQ(first.round_trip("x").second, ECONNRESET);
  }
  Client second(address);
  EXPECT_EQ(second.round_trip("x").first, "x");  // once per window
  const auto fired = proxy.disarm({0, 0});
  ASSERT_TRUE(fired.has_value());
  EXPECT_TRUE(fired->retried);
  EXPECT_EQ(fired->to_text(), "the connection to " + server.endpoint().text() +
                                  " was reset (injected); the sink connected again and sent");
}

TEST(NetworkProxy, WindowsArePerWorker) {
  EchoServer server;
  FaultProxy proxy(200ms);
  const auto a0 = proxy.address(0, server.endpoint());
  const auto a1 = proxy.address(1, server.endpoint());
  EXPECT_NE(a0, a1);
  EXPECT_EQ(proxy.address(0, server.endpoint()), a0);  // one port per worker and server
  Client w0(a0);
  Client w1(a1);
  proxy.arm({1, 0}, network_fault(StorageFaultKind::connection_reset));
  EXPECT_EQ(w0.round_trip("w0").first, "w0");
  EXPECT_FALSE(proxy.disarm({0, 0}).has_value());
  EXPECT_EQ(w1.round_trip("w1").second, ECONNRESET);
  EXPECT_TRUE(proxy.disarm({1, 0}).has_value());
}

TEST(NetworkProxy, ARefusedServerIsAClosedConnectionNotACrash) {
  std::uint16_t unused = 0;
  {
    EchoServer gone;  // a port nobody listens on once it is destroyed
    unused = gone.endpoint().port;
  }
  FaultProxy proxy(200ms);
  Client c(proxy.address(0, {"127.0.0.1", unused}));
  EXPECT_EQ(c.round_trip("hello").first, "");
}

TEST(NetworkProxy, ManyConnectionsAtOnceStayIntact) {
  EchoServer server;
  FaultProxy proxy(200ms);
  std::vector<std::thread> clients;
  std::atomic<int> intact{0};
  for (int w = 0; w < 4; ++w) {
    const auto address = proxy.address(w, server.endpoint());
    clients.emplace_back([&intact, address, w] {
      for (int i = 0; i < 25; ++i) {
        Client c(address);
        const std::string msg = "w" + std::to_string(w) + "#" + std::to_string(i) + std::string(1000, 'p');
        if (c.round_trip(msg).first == msg) ++intact;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(intact.load(), 100);
}

TEST(ProxyTemplate, EachProxiedServerIsReplacedWhereverItIsNamed) {
  auto config = nlohmann::json::parse(
      R"({"dsn": "postgresql://u@{proxy:127.0.0.1:5432}/db", "replicas": ["{proxy:localhost:6000}"], "n": 3,
          "plain": "127.0.0.1:5432"})");
  EXPECT_TRUE(detail::faults::names_proxy(config));
  EXPECT_FALSE(detail::faults::names_proxy(config["plain"]));
  std::vector<Endpoint> seen;
  detail::faults::substitute_proxies(config, [&](const Endpoint& e) {
    seen.push_back(e);
    return "127.0.0.1:4" + std::to_string(seen.size());
  });
  EXPECT_EQ(config["dsn"], "postgresql://u@127.0.0.1:41/db");
  EXPECT_EQ(config["replicas"][0], "127.0.0.1:42");
  EXPECT_EQ(config["plain"], "127.0.0.1:5432");
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0], (Endpoint{"127.0.0.1", 5432}));
  EXPECT_EQ(seen[1], (Endpoint{"localhost", 6000}));
}

TEST(ProxyTemplate, HostAndPortCanBeNamedApart) {
  auto config = nlohmann::json::parse(
      R"({"host": "{proxy_host:127.0.0.1:9000}", "port": "{proxy_port:127.0.0.1:9000}",
          "url": "tcp://{proxy_host:localhost:9000}:{proxy_port:localhost:9000}/x"})");
  EXPECT_TRUE(detail::faults::names_proxy(config["port"]));
  detail::faults::substitute_proxies(config, [](const Endpoint&) { return std::string("127.0.0.2:41000"); });
  EXPECT_EQ(config["host"], "127.0.0.2");
  EXPECT_EQ(config["port"], 41000);  // a number, as a port field wants
  EXPECT_EQ(config["url"], "tcp://127.0.0.2:41000/x");
}

TEST(ProxyTemplate, AServerItCannotProxyIsNamedInTheError) {
  auto keep = [](const Endpoint& e) { return e.text(); };
  for (const auto& [spec, says] : std::vector<std::pair<std::string, std::string>>{
           {"{proxy:db.example.com:5432}", "only to loopback"},
           {"{proxy:10.0.0.1:5432}", "only to loopback"},
           {"{proxy:127.0.0.1:0}", "from 1 to 65535"},
           {"{proxy:127.0.0.1:99999}", "from 1 to 65535"},
           {"{proxy:127.0.0.1}", "expected {proxy:HOST:PORT}"},
           {"{proxy:5432}", "expected {proxy:HOST:PORT}"},
           {"x{proxy:127.0.0.1:5432", "without its closing }"},
           {"{proxy_port:db:5432}", "{proxy_port:db:5432}: the fault proxy forwards only to loopback"}}) {
    nlohmann::json config = {{"dsn", spec}};
    try {
      detail::faults::substitute_proxies(config, keep);
      ADD_FAILURE() << spec << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  }
}

}  // namespace
