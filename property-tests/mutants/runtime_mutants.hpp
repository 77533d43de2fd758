#pragma once
// Mutants that misuse the runtime's resources: the async bridge and the
// session manager (rules SK-6.x).

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <sinkkit/simulation/session_manager.hpp>

#include "mutant_support.hpp"

namespace zoo {

// SK-6.1: close hands the final flush to the bridge and returns without
// waiting for it.
struct ForgetsBridgeWork : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "forgets-bridge-work";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() {
    return {.durability = sinkkit::Durability::on_close, .requires_bridge = true};
  }
  struct Partition {
    std::shared_ptr<Store> store;
    std::string target;
    std::size_t log;
    AsyncBridge* bridge;
    std::vector<Event> buffer;
    bool closed = false;
    void write_batch(Batch<Event> batch) {
      if (closed) throw sinkkit::ClosedError("write_batch");
      buffer.insert(buffer.end(), batch.begin(), batch.end());
    }
    void close() {
      if (closed) return;
      closed = true;
      bridge->submit([store = store, target = target, log = log, rows = std::move(buffer)] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a network round trip
        store->append(target, log, Batch<Event>(rows));
      });  // the bug: the future is dropped, close returns at once
    }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge* bridge, void*) {
    if (bridge == nullptr) throw sinkkit::BridgeError("forgets-bridge-work needs the async bridge");
    auto target = target_of(config);
    return Partition{store, target, store->open_log(target, worker_index), bridge, {}, false};
  }
};

// SK-6.2: treats the adapter's session manager as its own and disposes it.
struct DisposesSessionManager : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "disposes-session-manager";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    Appender out;
    sinkkit::SessionManager* sessions;
    void write_batch(Batch<Event> batch) { out.write_batch(batch); }
    void close() {
      out.close();
      if (sessions != nullptr) sessions->dispose();  // the bug: not the sink's to dispose
    }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void* session_manager) {
    return Partition{appender(config, worker_index), static_cast<sinkkit::SessionManager*>(session_manager)};
  }
};

}  // namespace zoo
