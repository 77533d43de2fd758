#pragma once
// Harnesses for the bundled reference sinks: how a sink author serves a sink
// to the conformance suite (see kit/include/sinkkit/runners/harness.hpp).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/runners/harness.hpp>
#include <sinkkit/sinks/buffered_memory_sink.hpp>
#include <sinkkit/sinks/jsonl_file_sink.hpp>
#include <sinkkit/sinks/memory_sink.hpp>
#include <sinkkit_test/events.hpp>

namespace sinkkit_harnesses {

using sinkkit_test::Event;

// What every harness of an Event sink shares: how items are made and keyed.
struct EventItems {
  Event make_item(const sinkkit::ItemKey& k) { return sinkkit_test::event_for(k); }
  sinkkit::ItemKey key_of(const Event& e) { return sinkkit_test::key_of(e); }
};

// A sink over a MemoryStore: the harness holds the store, so the nodes it
// makes and its read-back see the same data; the store's fault hook is the
// storage fault hook.
template <class Node>
struct MemoryStoreHarness : EventItems {
  using node_type = Node;
  std::shared_ptr<sinkkit::sinks::MemoryStore<Event>> store = std::make_shared<sinkkit::sinks::MemoryStore<Event>>();

  node_type make_node() { return node_type(store); }
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"target", t.id}}; }
  std::vector<Event> read_back(const nlohmann::json& config) { return store->read_back(config.at("target")); }
  sinkkit::Capabilities capabilities() { return node_type::capabilities(); }
  std::vector<sinkkit::InvalidConfig> invalid_configs(const sinkkit::TestTarget& t) {
    return {{{{"target", 42}}, "target"}, {{{"target", t.id}, {"tagret", t.id}}, "tagret"}};
  }
  void arm_storage_fault(const nlohmann::json& config, sinkkit::PartitionId p, std::int64_t after_items) {
    store->arm_fault(config.at("target"), p.worker, after_items);
  }
};

using MemorySinkHarness = MemoryStoreHarness<sinkkit::sinks::MemorySink<Event>>;

struct BufferedMemorySinkHarness : MemoryStoreHarness<sinkkit::sinks::BufferedMemorySink<Event>> {
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"target", t.id}, {"flush_every", 50}}; }
  std::vector<sinkkit::InvalidConfig> invalid_configs(const sinkkit::TestTarget& t) {
    return {{{{"target", t.id}, {"flush_every", 0}}, "flush_every"},
            {{{"target", t.id}, {"flush_every", "often"}}, "flush_every"}};
  }
};

template <const char* Fsync>
struct JsonlFileSinkHarness : EventItems {
  using node_type = sinkkit::sinks::JsonlFileSink<Event>;
  node_type make_node() { return node_type{}; }
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"dir", t.dir.string()}, {"fsync", Fsync}}; }
  std::vector<Event> read_back(const nlohmann::json& config) { return node_type::read_back(config); }
  sinkkit::Capabilities capabilities() { return node_type::capabilities({{"fsync", Fsync}}); }
  std::vector<sinkkit::InvalidConfig> invalid_configs(const sinkkit::TestTarget& t) {
    return {{{{"fsync", "never"}}, "dir"},
            {{{"dir", (t.dir / "missing").string()}}, "dir"},
            {{{"dir", t.dir.string()}, {"fsync", "sometimes"}}, "fsync"},
            {{{"dir", t.dir.string()}, {"fsnyc", "never"}}, "fsnyc"}};
  }
};

inline constexpr char kFsyncNever[] = "never";
inline constexpr char kFsyncBatch[] = "batch";

}  // namespace sinkkit_harnesses
