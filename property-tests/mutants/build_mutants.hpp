#pragma once
// Mutants that get build_partition wrong (rules SK-1.x).

#include <memory>
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

// SK-1.1: creates its table at build when it is missing (RacyTables): built
// one after another, the first worker creates it and the others find it;
// built at once, the second CREATE fails. The window is held open when the
// run has more than one worker, so that builds that do overlap collide.
struct RacesAtOpen : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "races-at-open";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  std::shared_ptr<RacyTables> tables = std::make_shared<RacyTables>();
  Appender build_partition(const nlohmann::json& config, int worker_index, int worker_count, AsyncBridge*, void*) {
    tables->create_if_missing(target_of(config), worker_count > 1);
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
