#include <sinkkit/sinks/detail/sqlite_io.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/config.hpp>
#include <sinkkit/protocol/errors.hpp>
#include <sqlite3.h>

namespace sinkkit::sinks::detail {

namespace {

constexpr std::size_t kMaxBoundValues = 32'766;  // SQLITE_MAX_VARIABLE_NUMBER since 3.32

bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string_view type_name(SqlType t) {
  switch (t) {
    case SqlType::integer: return "INTEGER";
    case SqlType::real: return "REAL";
    case SqlType::text: return "TEXT";
    case SqlType::blob: return "BLOB";
  }
  return "BLOB";
}

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& where) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
      throw SinkError(where + ": preparing '" + sql.substr(0, 80) + "' failed: " + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const noexcept { return stmt_; }
  sqlite3* db() const noexcept { return db_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Binder final : public SqlRowWriter {
 public:
  explicit Binder(sqlite3_stmt* s) : stmt_(s) {}
  void start_row(int first_index) { next_ = first_index; }
  void integer(std::int64_t v) override { check(sqlite3_bind_int64(stmt_, next_++, v)); }
  void real(double v) override { check(sqlite3_bind_double(stmt_, next_++, v)); }
  void text(std::string_view v) override {
    check(sqlite3_bind_text64(stmt_, next_++, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void blob(std::span<const std::byte> v) override {
    check(sqlite3_bind_blob64(stmt_, next_++, v.data(), v.size(), SQLITE_TRANSIENT));
  }
  void null() override { check(sqlite3_bind_null(stmt_, next_++)); }
  [[nodiscard]] int next() const noexcept { return next_; }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) throw SinkError(std::string("binding a value failed: ") + sqlite3_errstr(rc));
  }
  sqlite3_stmt* stmt_;
  int next_ = 1;
};

class Reader final : public SqlRowReader {
 public:
  explicit Reader(sqlite3_stmt* s) : stmt_(s) {}
  std::int64_t integer(int c) const override { return sqlite3_column_int64(stmt_, c); }
  double real(int c) const override { return sqlite3_column_double(stmt_, c); }
  std::string text(int c) const override {
    const auto* p = sqlite3_column_text(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string();
  }
  bool is_null(int c) const override { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_;
};

// A database file SQLite creates is not durable until its directory is
// synced, and SQLite syncs the directory only when it creates a journal or
// WAL file (os_unix.c's UNIXFILE_DIRSYNC).
void sync_directory_of(const std::filesystem::path& file) {
  const auto dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw SinkError("opening " + dir.string() + " to fsync it failed: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw SinkError("fsync of the directory " + dir.string() + " failed: " + std::strerror(err));
}

}  // namespace

bool flushes_every_batch(const nlohmann::json& config) {
  if (!config.is_object()) return false;
  const auto records = config.value("buffer_max_records", nlohmann::json(50'000));
  const auto age = config.value("buffer_max_age_s", nlohmann::json(60));
  return (records.is_number_integer() && records.get<std::int64_t>() <= 1) ||
         (age.is_number_integer() && age.get<std::int64_t>() == 0);
}

bool synchronous_full(const nlohmann::json& config) {
  if (!config.is_object() || !config.contains("synchronous") || !config["synchronous"].is_string()) return true;
  return config["synchronous"].get<std::string>() == "full";
}

SqliteConfig parse_sqlite_config(const nlohmann::json& config, std::size_t columns) {
  ConfigReader reader(config);
  SqliteConfig c;
  c.path = reader.required_string("path");
  c.table = reader.required_string("table");
  if (!is_identifier(c.table)) {
    throw ConfigError("table", "'" + c.table + "' is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)");
  }
  const auto max_chunk = static_cast<std::int64_t>(std::max<std::size_t>(1, kMaxBoundValues / std::max<std::size_t>(columns, 1)));
  c.chunk_size = static_cast<std::size_t>(reader.optional_int("chunk_size", std::min<std::int64_t>(500, max_chunk), 1, max_chunk));
  c.buffer_max_records = static_cast<std::size_t>(reader.optional_int("buffer_max_records", 50'000, 1, 1'000'000'000));
  c.buffer_max_bytes = static_cast<std::size_t>(reader.optional_int("buffer_max_bytes", 128LL << 20, 1, 1LL << 40));
  c.buffer_max_age = std::chrono::milliseconds(reader.optional_int("buffer_max_age_s", 60, 0, 86'400) * 1000);
  c.flush_on_shutdown = reader.optional_bool("flush_on_shutdown", true);
  c.busy_timeout = std::chrono::milliseconds(reader.optional_int("busy_timeout_ms", 5'000, 0, 600'000));
  c.synchronous_full = reader.one_of("synchronous", {"full", "normal"}, "full") == "full";
  reader.reject_unknown_keys();
  const auto dir = c.path.has_parent_path() ? c.path.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(dir)) {
    throw ConfigError("path", "the directory of '" + c.path.string() + "' does not exist");
  }
  return c;
}

SqliteDb::SqliteDb(const SqliteConfig& config, std::span<const SqlColumn> columns, std::size_t unique_key)
    : config_(config), columns_(columns.begin(), columns.end()) {
  for (const auto& col : columns_) {
    if (!is_identifier(col.name)) throw SinkError("SqlTable: column name '" + std::string(col.name) + "' is not a plain identifier");
  }
  if (unique_key >= columns_.size()) throw SinkError("SqlTable: unique_key is not a column index");
  const int rc = sqlite3_open_v2(config_.path.c_str(), &db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    close();
    throw ConfigError("path", "cannot open '" + config_.path.string() + "': " + why);
  }
  sqlite3_busy_timeout(db_, static_cast<int>(config_.busy_timeout.count()));
  std::string create = "CREATE TABLE IF NOT EXISTS \"" + config_.table + "\" (";
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    create += (i ? ", \"" : "\"") + std::string(columns_[i].name) + "\" " + std::string(type_name(columns_[i].type));
  }
  create += ", UNIQUE(\"" + std::string(columns_[unique_key].name) + "\"))";
  // Partitions open one new database file at once: switching it to WAL can
  // fail with SQLITE_BUSY without SQLite calling the busy handler (it would
  // deadlock), so the setup retries on its own, within the same busy timeout.
  const auto deadline = std::chrono::steady_clock::now() + config_.busy_timeout;
  const std::string synchronous = config_.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  for (const std::string& sql : {std::string("PRAGMA journal_mode=WAL"), synchronous, create}) {
    for (;;) {
      char* err = nullptr;
      const int status = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
      if (status == SQLITE_OK) break;
      const bool locked = (status & 0xff) == SQLITE_BUSY || (status & 0xff) == SQLITE_LOCKED;
      if (locked && std::chrono::steady_clock::now() < deadline) {
        sqlite3_free(err);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      std::string why = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      close();
      throw SinkError("sqlite '" + config_.path.string() + "': '" + sql.substr(0, 60) + "' failed: " + why +
                      (locked ? " (still locked after " + std::to_string(config_.busy_timeout.count()) + " ms)" : ""));
    }
  }
  if (config_.synchronous_full) {
    try {
      sync_directory_of(config_.path);
    } catch (...) {
      close();
      throw;
    }
  }
}

SqliteDb::~SqliteDb() { close(); }

void SqliteDb::close() noexcept {
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
}

std::string SqliteDb::insert_sql(std::size_t rows) const {
  std::string sql = "INSERT INTO \"" + config_.table + "\" (";
  std::string one = "(";
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    sql += (i ? ", \"" : "\"") + std::string(columns_[i].name) + "\"";
    one += i ? ", ?" : "?";
  }
  one += ")";
  sql += ") VALUES ";
  for (std::size_t r = 0; r < rows; ++r) sql += (r ? ", " : "") + one;
  // A replayed row (same unique key) is skipped: exactly once under replay.
  return sql + " ON CONFLICT DO NOTHING";
}

void SqliteDb::insert(std::size_t count, const std::function<void(std::size_t, SqlRowWriter&)>& bind) {
  if (db_ == nullptr) throw SinkError("sqlite '" + config_.path.string() + "': the connection is closed");
  if (count == 0) return;
  const std::string where = "sqlite '" + config_.path.string() + "' table " + config_.table;
  auto exec = [&](const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      throw SinkError(where + ": " + sql + " failed: " + sqlite3_errmsg(db_) +
                      (rc == SQLITE_BUSY ? " (still locked after " + std::to_string(config_.busy_timeout.count()) + " ms)" : ""));
    }
  };
  // IMMEDIATE takes the write lock up front: no deadlock upgrading a read lock.
  exec("BEGIN IMMEDIATE");
  try {
    const std::size_t chunk = config_.chunk_size;
    std::unique_ptr<Statement> full;
    for (std::size_t first = 0; first < count; first += chunk) {
      const std::size_t rows = std::min(chunk, count - first);
      std::unique_ptr<Statement> partial;
      Statement* stmt = nullptr;
      if (rows == chunk) {
        if (!full) full = std::make_unique<Statement>(db_, insert_sql(chunk), where);
        stmt = full.get();
      } else {
        partial = std::make_unique<Statement>(db_, insert_sql(rows), where);
        stmt = partial.get();
      }
      sqlite3_reset(stmt->get());
      sqlite3_clear_bindings(stmt->get());
      Binder binder(stmt->get());
      for (std::size_t r = 0; r < rows; ++r) {
        binder.start_row(static_cast<int>(r * columns_.size()) + 1);
        bind(first + r, binder);
        if (binder.next() != static_cast<int>((r + 1) * columns_.size()) + 1) {
          throw SinkError(where + ": SqlTable::bind bound " +
                          std::to_string(binder.next() - 1 - static_cast<int>(r * columns_.size())) + " values for " +
                          std::to_string(columns_.size()) + " columns");
        }
      }
      const int rc = sqlite3_step(stmt->get());
      if (rc != SQLITE_DONE) {
        throw SinkError(where + ": insert failed: " + sqlite3_errmsg(db_) +
                        (rc == SQLITE_BUSY ? " (still locked after " + std::to_string(config_.busy_timeout.count()) + " ms)" : ""));
      }
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);  // nothing of this flush stays
    throw;
  }
}

void SqliteDb::for_each_row(const std::function<void(const SqlRowReader&)>& on_row) {
  if (db_ == nullptr) throw SinkError("sqlite '" + config_.path.string() + "': the connection is closed");
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < columns_.size(); ++i) sql += (i ? ", \"" : "\"") + std::string(columns_[i].name) + "\"";
  sql += " FROM \"" + config_.table + "\" ORDER BY rowid";
  Statement stmt(db_, sql, "sqlite '" + config_.path.string() + "'");
  Reader reader(stmt.get());
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) on_row(reader);
  if (rc != SQLITE_DONE) throw SinkError("sqlite '" + config_.path.string() + "': read-back failed: " + sqlite3_errmsg(db_));
}

}  // namespace sinkkit::sinks::detail
