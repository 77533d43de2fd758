#pragma once
/// \file
/// `BufferedMemorySink<E>`: the in-memory model of a buffered table sink (SQL,
/// Delta, ClickHouse). Rows are buffered across `write_batch` calls and
/// flushed through the async bridge when `flush_every` rows are waiting, and
/// at close. Durability is on_close. It is the reference for the two things
/// such sinks get wrong: a failed flush keeps its rows for the next flush
/// (the buffer is cleared only after the store took it), and close flushes
/// exactly once however often it is called.
///
/// **Example**:
///
///     sinkkit::AsyncBridge bridge;
///     sinkkit::sinks::BufferedMemorySink<Event> node;
///     nlohmann::json cfg = {{"target", "t1"}, {"flush_every", 500}};
///     auto p = node.build_partition(cfg, 0, 1, &bridge, nullptr);
///     p.write_batch(events);  // buffered: not yet in node.read_back(cfg)
///     p.close();              // flushed

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/async_bridge.hpp>
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit/protocol/capabilities.hpp>
#include <sinkkit/protocol/config.hpp>
#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/sinks/memory_sink.hpp>

namespace sinkkit::sinks {

template <class E>
class BufferedMemorySink {
 public:
  using payload_type = E;
  std::string name = "buffered-memory";
  static constexpr bool router_branch_safe = true;

  class Partition {
   public:
    Partition(std::shared_ptr<MemoryStore<E>> store, std::string target, std::size_t log, std::size_t flush_every,
              AsyncBridge& bridge)
        : store_(std::move(store)), target_(std::move(target)), log_(log), flush_every_(flush_every),
          bridge_(&bridge) {}

    /// Buffers a copy of the batch; flushes when `flush_every` rows wait.
    /// A failed flush throws `SinkError` and keeps every buffered row.
    void write_batch(Batch<E> batch) {
      if (closed_) throw ClosedError("write_batch");
      buffer_.insert(buffer_.end(), batch.begin(), batch.end());
      if (buffer_.size() >= flush_every_) flush();
    }

    /// Flushes what is buffered. Idempotent once it succeeded; if the flush
    /// fails it throws and a later close retries it.
    void close() {
      if (closed_) return;
      flush();
      closed_ = true;
    }

   private:
    void flush() {
      if (buffer_.empty()) return;
      // Waits for the bridge: no flush is still running when close returns.
      bridge_->run([this] { store_->append(target_, log_, Batch<E>(buffer_)); });
      buffer_.clear();  // only now: a failed append leaves the rows for the next flush
    }

    std::shared_ptr<MemoryStore<E>> store_;
    std::string target_;
    std::size_t log_;
    std::size_t flush_every_;
    AsyncBridge* bridge_;
    std::vector<E> buffer_;
    bool closed_ = false;
  };

  BufferedMemorySink() : store_(std::make_shared<MemoryStore<E>>()) {}
  explicit BufferedMemorySink(std::shared_ptr<MemoryStore<E>> store) : store_(std::move(store)) {}

  /// Config: `{"target": NAME, "flush_every": N}` (N in [1, 10^7], default
  /// 100). Needs the bridge: throws `BridgeError` for a null one.
  Partition build_partition(const nlohmann::json& config, int worker_index, int worker_count, AsyncBridge* bridge,
                            void* /*session_manager*/) {
    check_worker_args(worker_index, worker_count);
    ConfigReader reader(config);
    auto target = reader.optional_string("target", "default");
    const auto flush_every = reader.optional_int("flush_every", 100, 1, 10'000'000);
    reader.reject_unknown_keys();
    if (bridge == nullptr) {
      throw BridgeError("buffered-memory sink: build_partition needs the async bridge, got a null bridge");
    }
    return Partition(store_, target, store_->open_log(target, worker_index), static_cast<std::size_t>(flush_every),
                     *bridge);
  }

  [[nodiscard]] std::vector<E> read_back(const nlohmann::json& config) const {
    return store_->read_back(config.value("target", "default"));
  }

  /// Durable on close, flushed through the bridge; otherwise ideal.
  static Capabilities capabilities() {
    Capabilities caps;
    caps.durability = Durability::on_close;
    caps.requires_bridge = true;
    return caps;
  }

  [[nodiscard]] const std::shared_ptr<MemoryStore<E>>& store() const noexcept { return store_; }

 private:
  std::shared_ptr<MemoryStore<E>> store_;
};

}  // namespace sinkkit::sinks
