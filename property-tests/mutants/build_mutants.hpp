#pragma once
// Mutants that get build_partition wrong (rules SK-1.x).

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "mutant_support.hpp"

namespace zoo {

// SK-1.1: a sink that assumes at most three shards.
struct FailsForHighWorkerIndex : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "fails-for-high-worker-index";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  Appender build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    if (worker_index >= 3) throw sinkkit::SinkError("only shards 0..2 are provisioned");
    return appender(config, worker_index);
  }
};

// SK-1.1: creates its table at build when it is missing, as
// "check, then CREATE TABLE" without a lock or IF NOT EXISTS. Built one after
// another, the first worker creates it and the others find it; built at
// once, two find it missing and the second CREATE fails. (The window is held
// open until another worker has looked, at most 100 ms, so that builds that
// do overlap always collide.)
struct RacesAtOpen : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "races-at-open";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Tables {
    std::mutex mutex;
    std::condition_variable looked;
    std::map<std::string, int> lookups;
    std::set<std::string> created;
  };
  std::shared_ptr<Tables> tables = std::make_shared<Tables>();
  Appender build_partition(const nlohmann::json& config, int worker_index, int worker_count, AsyncBridge*, void*) {
    const auto target = target_of(config);
    std::unique_lock lock(tables->mutex);
    const bool exists = tables->created.contains(target);
    const int mine = ++tables->lookups[target];
    tables->looked.notify_all();
    if (!exists) {
      if (worker_count > 1) {
        tables->looked.wait_for(lock, std::chrono::milliseconds(100), [&] { return tables->lookups[target] > mine; });
      }
      if (tables->created.contains(target)) throw sinkkit::SinkError("CREATE TABLE " + target + ": table already exists");
      tables->created.insert(target);
    }
    lock.unlock();
    return appender(config, worker_index);
  }
};

// SK-1.2: reads its config with json::at/get, so a bad value escapes as a
// nlohmann exception (no key named the loom way) and unknown keys pass.
struct CrashesOnBadConfig : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "crashes-on-bad-config";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  Appender build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    auto target = config.at("target").get<std::string>();
    return Appender(store, target, store->open_log(target, worker_index));
  }
};

// SK-1.3: needs the bridge for every write but does not check it at build.
struct IgnoresNullBridge : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "ignores-null-bridge";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {.requires_bridge = true}; }
  struct Partition {
    Appender out;
    AsyncBridge* bridge;
    void write_batch(Batch<Event> batch) { bridge->run([&] { out.write_batch(batch); }); }
    void close() { out.close(); }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge* bridge, void*) {
    return Partition{appender(config, worker_index), bridge};
  }
};

// SK-1.4: writes a "started" marker row at build, as some table sinks do.
struct WritesMarkerAtBuild : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "writes-marker-at-build";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  Appender build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    auto out = appender(config, worker_index);
    const Event marker{"started by worker " + std::to_string(worker_index), -1};
    out.write_batch(Batch<Event>(std::span(&marker, 1)));
    return out;
  }
};

}  // namespace zoo
