#pragma once
/// \file
/// The non-template half of `SqliteTableSink`: one connection to a database
/// file (WAL, busy timeout), table creation, chunked multi-row inserts in one
/// transaction, and the read-back. Errors are `SinkError`s (storage) or
/// `ConfigError`s (at open) that name the database and what failed.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <sinkkit/sinks/sql_table.hpp>

struct sqlite3;

namespace sinkkit::sinks::detail {

/// The sink's config, checked.
struct SqliteConfig {
  std::filesystem::path path;
  std::string table;
  std::size_t chunk_size = 500;
  std::size_t buffer_max_records = 50'000;
  std::size_t buffer_max_bytes = 128ULL << 20;
  std::chrono::milliseconds buffer_max_age{60'000};
  bool flush_on_shutdown = true;
  std::chrono::milliseconds busy_timeout{5'000};
  /// SQLite's `synchronous` (in WAL mode): `full` syncs the WAL at every
  /// commit, so a committed flush survives a power cut; `normal` only at
  /// checkpoints (survives a killed process, not a power cut).
  bool synchronous_full = true;

  /// Every write_batch flushes (max records 1, or max age 0): rows are
  /// durable when write_batch returns.
  [[nodiscard]] bool flushes_every_batch() const noexcept {
    return buffer_max_records <= 1 || buffer_max_age.count() == 0;
  }
};

/// What `SqliteConfig::flushes_every_batch` says, read from a config without
/// validating the rest of it (capabilities are asked before any target exists).
bool flushes_every_batch(const nlohmann::json& config);

/// Whether `config` asks for `synchronous: full` (the default), read without
/// validating the rest of it.
bool synchronous_full(const nlohmann::json& config);

/// Throws `ConfigError` naming the key. `columns` bounds chunk_size (SQLite
/// allows 32,766 bound values per statement).
SqliteConfig parse_sqlite_config(const nlohmann::json& config, std::size_t columns);

/// One connection. Not thread-safe: one per partition.
class SqliteDb {
 public:
  /// Opens (creating) the database, sets WAL, `synchronous` and the busy
  /// timeout, and creates the table if missing; with `synchronous: full` it
  /// then fsyncs the database's directory (SQLite syncs it for the journal
  /// and WAL files it creates, not for the database file itself). Throws `ConfigError("path", ...)` when the
  /// file cannot be opened, `SinkError` when SQLite fails.
  SqliteDb(const SqliteConfig& config, std::span<const SqlColumn> columns, std::size_t unique_key);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  /// Inserts rows [0, count) in one transaction, `chunk_size` rows per
  /// INSERT; rows whose unique key is already stored are skipped (a replay).
  /// `bind(i, writer)` binds row i. All or nothing: on any failure the
  /// transaction is rolled back and `SinkError` names the cause (a locked
  /// database after the busy timeout, a constraint, a full disk).
  void insert(std::size_t count, const std::function<void(std::size_t, SqlRowWriter&)>& bind);

  /// Calls `on_row` for every stored row in insertion order.
  void for_each_row(const std::function<void(const SqlRowReader&)>& on_row);

  /// Closes the connection (idempotent); later calls throw `SinkError`.
  void close() noexcept;
  [[nodiscard]] bool open() const noexcept { return db_ != nullptr; }

 private:
  std::string insert_sql(std::size_t rows) const;

  SqliteConfig config_;
  std::vector<SqlColumn> columns_;
  sqlite3* db_ = nullptr;
};

}  // namespace sinkkit::sinks::detail
