#pragma once
/// \file
/// `SqliteTableSink<E>`: the reference buffered table sink, on a real SQLite
/// database file. It buffers rows across `write_batch` calls (and epochs) and
/// flushes them, as one transaction of chunked multi-row INSERTs, when the
/// buffer reaches `buffer_max_records` rows or `buffer_max_bytes`, when its
/// oldest row is `buffer_max_age_s` old (checked on every write and at close:
/// it does not wait for an empty batch), and at close. What SQL, Delta and
/// ClickHouse sinks get wrong, it gets right:
///
/// - a failed flush rolls back and keeps every row buffered; the error
///   propagates, and a later flush (or close) retries them. No row is dropped
///   because a flush failed.
/// - every row carries a unique key (`SqlTable<E>::unique_key`), and a replayed
///   row is skipped: exactly once.
/// - partitions of different workers write one file safely (WAL, a busy
///   timeout; a database locked longer than `busy_timeout_ms` is a SinkError).
///
/// Config: `path` (database file), `table`, `chunk_size` (rows per INSERT,
/// default 500), `buffer_max_records` (50,000), `buffer_max_bytes` (128 MiB),
/// `buffer_max_age_s` (60), `flush_on_shutdown` (true), `busy_timeout_ms`
/// (5,000), `synchronous` (`full`, or `normal`: faster, but a power cut may
/// take the last commits). With `buffer_max_records` 1 or `buffer_max_age_s`
/// 0 it flushes every batch and its rows are durable on return; otherwise on
/// close.
///
/// **Example**:
///
///     sinkkit::sinks::SqliteTableSink<Event> node;  // needs SqlTable<Event> (sql_table.hpp)
///     nlohmann::json cfg = {{"path", "/tmp/out.db"}, {"table", "events"}, {"chunk_size", 1000}};
///     auto p = node.build_partition(cfg, 0, 1, nullptr, nullptr);
///     p.write_batch(events);    // buffered
///     p.close();                // flushed in one transaction
///     auto stored = decltype(node)::read_back(cfg);

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/async_bridge.hpp>
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit/protocol/capabilities.hpp>
#include <sinkkit/protocol/config.hpp>
#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/sinks/detail/sqlite_io.hpp>
#include <sinkkit/sinks/sql_table.hpp>

namespace sinkkit::sinks {

template <SqlMappable E>
class SqliteTableSink {
 public:
  using payload_type = E;
  std::string name = "sqlite_table";
  static constexpr bool router_branch_safe = true;

  class Partition {
   public:
    explicit Partition(detail::SqliteConfig config)
        : config_(std::move(config)),
          db_(std::make_unique<detail::SqliteDb>(config_, SqlTable<E>::columns, SqlTable<E>::unique_key)) {}

    /// Buffers a copy of the batch, then flushes if a threshold is reached
    /// (records, bytes or age). A failed flush throws `SinkError` and keeps
    /// every buffered row, this batch's included.
    void write_batch(Batch<E> batch) {
      if (!db_->open()) throw ClosedError("write_batch");
      if (buffer_.empty() && !batch.empty()) oldest_ = Clock::now();
      for (const E& item : batch) {
        buffer_.push_back(item);
        bytes_ += approx_bytes(item);
      }
      if (due()) flush();
    }

    /// Flushes what is buffered (unless flush_on_shutdown is false) and
    /// closes the connection. Idempotent once it succeeded; when the flush
    /// fails it throws, keeps the rows, and a later close retries.
    void close() {
      if (!db_->open()) return;
      if (config_.flush_on_shutdown) flush();
      db_->close();
    }

   private:
    using Clock = std::chrono::steady_clock;

    bool due() const {
      if (buffer_.empty()) return false;
      return buffer_.size() >= config_.buffer_max_records || bytes_ >= config_.buffer_max_bytes ||
             Clock::now() - oldest_ >= config_.buffer_max_age;
    }

    void flush() {
      if (buffer_.empty()) return;
      db_->insert(buffer_.size(), [this](std::size_t i, SqlRowWriter& w) { SqlTable<E>::bind(buffer_[i], w); });
      buffer_.clear();  // only once the transaction committed
      bytes_ = 0;
    }

    static std::size_t approx_bytes(const E& item) {
      if constexpr (requires { SqlTable<E>::approx_bytes(item); }) {
        return SqlTable<E>::approx_bytes(item);
      } else {
        return sizeof(E);
      }
    }

    detail::SqliteConfig config_;
    std::unique_ptr<detail::SqliteDb> db_;
    std::vector<E> buffer_;
    std::size_t bytes_ = 0;
    Clock::time_point oldest_{};
  };

  /// Validates the config, opens the database and creates the table. Throws
  /// `ConfigError` naming the key for a bad config or an unopenable path.
  Partition build_partition(const nlohmann::json& config, int worker_index, int worker_count, AsyncBridge* /*bridge*/,
                            void* /*session_manager*/) const {
    check_worker_args(worker_index, worker_count);
    return Partition(detail::parse_sqlite_config(config, SqlTable<E>::columns.size()));
  }

  /// Every stored row, in insertion order.
  static std::vector<E> read_back(const nlohmann::json& config) {
    auto cfg = detail::parse_sqlite_config(config, SqlTable<E>::columns.size());
    detail::SqliteDb db(cfg, SqlTable<E>::columns, SqlTable<E>::unique_key);
    std::vector<E> out;
    db.for_each_row([&out](const SqlRowReader& r) { out.push_back(SqlTable<E>::read(r)); });
    return out;
  }

  /// Exactly once and ordered; durable on close, or on return when `config`
  /// flushes every batch. Survives a crash only then (a buffer is process
  /// memory); survives a power cut (what its durability class promises)
  /// with `synchronous: full`.
  static Capabilities capabilities(const nlohmann::json& config) {
    const bool every_batch = detail::flushes_every_batch(config);
    Capabilities caps;
    caps.durability = every_batch ? Durability::on_return : Durability::on_close;
    caps.survives_crash = every_batch;
    caps.survives_power_loss = detail::synchronous_full(config);
    return caps;
  }
};

}  // namespace sinkkit::sinks
