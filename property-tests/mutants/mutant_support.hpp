#pragma once
// What the mutants share: stores they write to, and harnesses that serve
// them to the suite. Every mutant breaks one rule the way real sinks do; the
// zoo test checks the suite fails each on its rule.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/all.hpp>
#include <sinkkit/sinks/memory_sink.hpp>
#include <sinkkit_test/events.hpp>

#include "../harnesses/reference_harnesses.hpp"

namespace zoo {

using sinkkit_test::Event;
using Store = sinkkit::sinks::MemoryStore<Event>;
using sinkkit::AsyncBridge;
using sinkkit::Batch;
using sinkkit::Capabilities;

// A node over a MemoryStore, with the correct config handling of MemorySink.
struct StoreNode {
  using payload_type = Event;
  explicit StoreNode(std::shared_ptr<Store> s) : store(std::move(s)) {}
  std::shared_ptr<Store> store;

  static std::string target_of(const nlohmann::json& config) {
    sinkkit::ConfigReader reader(config);
    auto target = reader.optional_string("target", "default");
    reader.reject_unknown_keys();
    return target;
  }
  // The correct partition most mutants start from.
  using Appender = sinkkit::sinks::MemorySink<Event>::Partition;
  Appender appender(const nlohmann::json& config, int worker_index) {
    auto target = target_of(config);
    return Appender(store, target, store->open_log(target, worker_index));
  }
};

template <class Node>
using StoreHarness = sinkkit_harnesses::MemoryStoreHarness<Node>;

// Named "files" in memory, which can be truncated: enough to model file sinks
// whose partitions pick colliding names.
class NamedFiles {
 public:
  void truncate(const std::string& target, const std::string& file) {
    std::lock_guard lock(mutex_);
    files_[target][file].clear();
  }
  void append(const std::string& target, const std::string& file, Batch<Event> batch) {
    std::lock_guard lock(mutex_);
    auto& items = files_[target][file];
    items.insert(items.end(), batch.begin(), batch.end());
  }
  std::vector<Event> read_back(const std::string& target) const {
    std::lock_guard lock(mutex_);
    std::vector<Event> out;
    auto it = files_.find(target);
    if (it == files_.end()) return out;
    for (const auto& [name, items] : it->second) out.insert(out.end(), items.begin(), items.end());
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, std::vector<Event>>> files_;
};

struct FilesNode {
  using payload_type = Event;
  explicit FilesNode(std::shared_ptr<NamedFiles> f) : files(std::move(f)) {}
  std::shared_ptr<NamedFiles> files;
};

template <class Node>
struct FilesHarness : sinkkit_harnesses::EventItems {
  using node_type = Node;
  std::shared_ptr<NamedFiles> files = std::make_shared<NamedFiles>();
  node_type make_node() { return node_type(files); }
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"target", t.id}}; }
  std::vector<Event> read_back(const nlohmann::json& config) { return files->read_back(config.at("target")); }
  Capabilities capabilities() { return node_type::capabilities(); }
};

// Tables a target's partitions create when missing, as "check, then CREATE
// TABLE" without a lock or IF NOT EXISTS (the SK-1.1 and SK-2.10 races): one
// after another, the first creates and the others find it; two that overlap
// both find it missing, and the second CREATE fails. With `hold_window`, a
// caller that finds it missing waits (at most 20 ms) until another has
// looked too, so that calls that can overlap do collide.
class RacyTables {
 public:
  void create_if_missing(const std::string& target, bool hold_window) {
    std::unique_lock lock(mutex_);
    const bool exists = created_.contains(target);
    const int mine = ++lookups_[target];
    looked_.notify_all();
    if (exists) return;
    if (hold_window) {
      looked_.wait_for(lock, std::chrono::milliseconds(20), [&] { return lookups_[target] > mine; });
    }
    if (created_.contains(target)) throw sinkkit::SinkError("CREATE TABLE " + target + ": table already exists");
    created_.insert(target);
  }

 private:
  std::mutex mutex_;
  std::condition_variable looked_;
  std::map<std::string, int> lookups_;
  std::set<std::string> created_;
};

}  // namespace zoo
