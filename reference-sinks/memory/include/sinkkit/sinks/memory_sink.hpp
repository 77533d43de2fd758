#pragma once
/// \file
/// `MemorySink<E>`: the ideal sink. Every acknowledged batch is in its store
/// when `write_batch` returns, exactly once, in order, one log per partition.
/// The kit's benchmarks use it as the zero-cost baseline, and its tests as the
/// sink every rule must pass.
///
/// **Example**:
///
///     sinkkit::sinks::MemorySink<Event> node;          // owns a fresh MemoryStore
///     nlohmann::json cfg = {{"target", "t1"}};          // isolates this test's data
///     auto p = node.build_partition(cfg, 0, 1, nullptr, nullptr);
///     p.write_batch(events);
///     p.close();
///     std::vector<Event> stored = node.read_back(cfg);  // == events

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/async_bridge.hpp>
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit/protocol/capabilities.hpp>
#include <sinkkit/protocol/config.hpp>
#include <sinkkit/protocol/errors.hpp>

namespace sinkkit::sinks {

/// The storage behind `MemorySink`: named targets, each holding one ordered
/// log per partition. Thread-safe; shared by every partition of a node.
template <class E>
class MemoryStore {
 public:
  /// Opens a new, empty log in `target` for a partition of `worker_index`;
  /// returns its id. Several logs per worker model router branches.
  std::size_t open_log(const std::string& target, int worker_index) {
    std::lock_guard lock(mutex_);
    auto& logs = targets_[target];
    logs.push_back(Log{worker_index, {}, std::nullopt});
    return logs.size() - 1;
  }

  /// Appends the payload projection of `batch` to log `id` of `target`, all
  /// or nothing. Throws `SinkError` when an armed fault fires.
  void append(const std::string& target, std::size_t id, Batch<E> batch) {
    std::lock_guard lock(mutex_);
    auto& log = targets_.at(target).at(id);
    if (log.fail_after) {
      const auto size = static_cast<std::int64_t>(batch.size());
      if (size > *log.fail_after) {
        log.fail_after.reset();  // transient: the next append goes through
        throw SinkError("memory store: injected storage fault on target '" + target + "' (worker " +
                        std::to_string(log.worker_index) + ")");
      }
      *log.fail_after -= size;
    }
    log.items.insert(log.items.end(), batch.begin(), batch.end());
  }

  /// Makes the store fail once, as a dropped connection would: the append
  /// that would take the newest log of `worker_index` in `target` more than
  /// `after_items` items further throws `SinkError` and stores nothing of its
  /// batch. This is the harness's storage fault hook (rules SK-4.1, SK-4.2).
  void arm_fault(const std::string& target, int worker_index, std::int64_t after_items) {
    std::lock_guard lock(mutex_);
    auto& logs = targets_.at(target);
    for (auto it = logs.rbegin(); it != logs.rend(); ++it) {
      if (it->worker_index == worker_index) {
        it->fail_after = after_items;
        return;
      }
    }
    throw std::invalid_argument("memory store: no log of worker " + std::to_string(worker_index) + " in target '" +
                                target + "' to arm a fault on");
  }

  /// Everything `target` holds: its logs in (worker_index, open order),
  /// each in append order.
  [[nodiscard]] std::vector<E> read_back(const std::string& target) const {
    std::lock_guard lock(mutex_);
    std::vector<E> out;
    auto it = targets_.find(target);
    if (it == targets_.end()) return out;
    std::multimap<int, const Log*> by_worker;
    for (const auto& log : it->second) by_worker.emplace(log.worker_index, &log);
    for (const auto& [worker, log] : by_worker) out.insert(out.end(), log->items.begin(), log->items.end());
    return out;
  }

  /// Number of logs (partitions built) in `target`.
  [[nodiscard]] std::size_t log_count(const std::string& target) const {
    std::lock_guard lock(mutex_);
    auto it = targets_.find(target);
    return it == targets_.end() ? 0 : it->second.size();
  }

  /// Forgets `target` (a test's clean-up).
  void drop(const std::string& target) {
    std::lock_guard lock(mutex_);
    targets_.erase(target);
  }

 private:
  struct Log {
    int worker_index;
    std::vector<E> items;
    std::optional<std::int64_t> fail_after;  // armed fault: items still allowed
  };
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<Log>, std::less<>> targets_;
};

/// The in-memory reference sink node. Config: `{"target": NAME}` (optional,
/// default `"default"`): which part of the store this node's partitions use.
template <class E>
class MemorySink {
 public:
  using payload_type = E;
  std::string name = "memory";
  static constexpr bool router_branch_safe = true;

  /// One partition: appends each batch to its own log in the store.
  class Partition {
   public:
    Partition(std::shared_ptr<MemoryStore<E>> store, std::string target, std::size_t log)
        : store_(std::move(store)), target_(std::move(target)), log_(log) {}

    /// Appends a copy of every item; durable (readable) on return.
    void write_batch(Batch<E> batch) {
      if (closed_) throw ClosedError("write_batch");
      store_->append(target_, log_, batch);
    }
    /// Idempotent; nothing to flush.
    void close() noexcept { closed_ = true; }
    [[nodiscard]] bool closed() const noexcept { return closed_; }

   private:
    std::shared_ptr<MemoryStore<E>> store_;
    std::string target_;
    std::size_t log_;
    bool closed_ = false;
  };

  /// A node with a fresh, private store.
  MemorySink() : store_(std::make_shared<MemoryStore<E>>()) {}
  /// A node over `store` (nodes that share a store see each other's data).
  explicit MemorySink(std::shared_ptr<MemoryStore<E>> store) : store_(std::move(store)) {}

  /// Validates `config` and opens a new log. Throws `ConfigError` for a bad
  /// config, `std::invalid_argument` for worker arguments out of range.
  Partition build_partition(const nlohmann::json& config, int worker_index, int worker_count,
                            AsyncBridge* /*bridge*/, void* /*session_manager*/) {
    check_worker_args(worker_index, worker_count);
    auto target = target_of(config);
    return Partition(store_, target, store_->open_log(target, worker_index));
  }

  /// What the target named by `config` holds.
  [[nodiscard]] std::vector<E> read_back(const nlohmann::json& config) const {
    return store_->read_back(target_of(config));
  }

  /// The ideal sink's promises: the kit's defaults.
  static Capabilities capabilities() { return Capabilities{}; }

  [[nodiscard]] const std::shared_ptr<MemoryStore<E>>& store() const noexcept { return store_; }

 private:
  static std::string target_of(const nlohmann::json& config) {
    ConfigReader reader(config);
    auto target = reader.optional_string("target", "default");
    reader.reject_unknown_keys();
    return target;
  }

  std::shared_ptr<MemoryStore<E>> store_;
};

}  // namespace sinkkit::sinks
