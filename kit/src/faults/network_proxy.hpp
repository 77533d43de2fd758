#pragma once
// The kit's TCP fault proxy (docs/faults.md): network storage made to fail
// around an unmodified sink. A config says `{proxy:HOST:PORT}` where the
// sink would name its server; each worker is given a loopback port of its
// own in its place, and the proxy forwards to the server. Inside a window
// (the simulator's storage fault window) it fails the connection that
// carries the worker's next request: reset, stall, or one direction dropped,
// each ending in a reset. Loopback only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json_fwd.hpp>
#include <sinkkit/simulation/fault_plan.hpp>
#include <sinkkit/simulation/storage_fault_injector.hpp>
#include <sinkkit/simulation/trace.hpp>

namespace sinkkit::detail::faults {

/// A server named by `{proxy:HOST:PORT}`.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  [[nodiscard]] std::string text() const { return host + ":" + std::to_string(port); }
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

/// True when a string of `config` names a proxy (any of the three markers).
bool names_proxy(const nlohmann::json& config);

/// Replaces each `{proxy:HOST:PORT}` in the strings of `config` with
/// `address_of(endpoint)` ("127.0.0.1:40123"), each `{proxy_host:HOST:PORT}`
/// with its host and each `{proxy_port:HOST:PORT}` with its port (a number
/// when it is the whole string). Throws `std::invalid_argument` naming one
/// that is malformed or not on loopback (127.0.0.0/8 or localhost).
void substitute_proxies(nlohmann::json& config, const std::function<std::string(const Endpoint&)>& address_of);

/// The proxy: one thread, one loopback listener per (worker, server).
class FaultProxy final : public StorageFaultInjector {
 public:
  /// `stall`: how long a stalled or half-dropped connection lasts before
  /// the proxy resets it.
  explicit FaultProxy(std::chrono::milliseconds stall);
  ~FaultProxy() override;
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  /// "127.0.0.1:PORT", where `worker` reaches `server` through the proxy.
  std::string address(int worker, const Endpoint& server);

  /// Opens a window on the worker of `p`: its next request (after
  /// `fault.skip` let through) fails as `fault.kind` says.
  void arm(PartitionId p, const StorageFault& fault) override;
  std::optional<FiredStorageFault> disarm(PartitionId p) override;

  struct State;

 private:
  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace sinkkit::detail::faults
