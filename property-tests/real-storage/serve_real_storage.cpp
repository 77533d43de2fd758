// sinkkit_serve_real_storage STORE: a sink written as a plain user of a real
// storage library writes one, served over the wire protocol, so that SK-4.6
// checks, from outside (the interposer preloaded into this process), what
// the library promises about a power cut. Every sink declares
// survives_power_loss; whether the library's settings keep that promise is
// the test (real_storage_power_loss_test.cpp). STORE:
//
//   sqlite-wal-full      SQLite, journal_mode=WAL, synchronous=FULL
//   sqlite-wal-off       SQLite, journal_mode=WAL, synchronous=OFF
//   sqlite-delete-full   SQLite, journal_mode=DELETE (the default), synchronous=FULL
//   sqlite-delete-extra  SQLite, journal_mode=DELETE, synchronous=EXTRA
//   lmdb                 LMDB, default flags; the sink fsyncs the directories
//                        of the environment it creates
//   lmdb-nosync          LMDB, MDB_NOSYNC; the same directory fsyncs
//   lmdb-no-dirsync      LMDB, default flags, no directory fsync
//
// One transaction per write_batch; a replayed item (same key) is skipped.

#include <fcntl.h>
#include <lmdb.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/runners/wire_server.hpp>
#include <sinkkit_test/events.hpp>

#if defined(__SANITIZE_ADDRESS__)
// As the reference sinks' server: no leak check at exit (it would fail nothing here).
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }  // NOLINT: the ASan hook's name
#endif

namespace {

namespace fs = std::filesystem;
using sinkkit::SinkError;
using sinkkit_test::Event;

void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw SinkError("open " + dir.string() + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw SinkError("fsync " + dir.string() + ": " + std::strerror(err));
}

// --- SQLite ----------------------------------------------------------------

struct SqliteSettings {
  std::string journal_mode;  // WAL | DELETE
  std::string synchronous;   // FULL | OFF | EXTRA
};

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err != nullptr ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    throw SinkError("sqlite: '" + sql + "' failed: " + why);
  }
}

// Opens `path` (creating it when `create`) with the settings and the table;
// nullptr when it does not exist and `create` is false.
sqlite3* open_sqlite(const std::string& path, const SqliteSettings& s, bool create) {
  if (!create && !fs::exists(path)) return nullptr;
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    throw SinkError("sqlite: cannot open " + path + ": " + why);
  }
  sqlite3_busy_timeout(db, 10'000);
  try {
    exec(db, "PRAGMA journal_mode=" + s.journal_mode);
    exec(db, "PRAGMA synchronous=" + s.synchronous);
    exec(db, "CREATE TABLE IF NOT EXISTS events (key TEXT PRIMARY KEY, value INTEGER) ");
  } catch (...) {
    sqlite3_close_v2(db);
    throw;
  }
  return db;
}

struct SqliteSink {
  using payload_type = Event;
  std::string name = "sqlite3";
  static constexpr bool router_branch_safe = true;
  SqliteSettings settings;

  struct Partition {
    sqlite3* db = nullptr;
    Partition(sqlite3* d) : db(d) {}
    Partition(Partition&& o) noexcept : db(std::exchange(o.db, nullptr)) {}
    Partition& operator=(Partition&&) = delete;
    ~Partition() { close(); }
    void write_batch(sinkkit::Batch<Event> batch) {
      if (db == nullptr) throw sinkkit::ClosedError("write_batch");
      if (batch.empty()) return;
      exec(db, "BEGIN IMMEDIATE");
      try {
        sqlite3_stmt* insert = nullptr;
        if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO events VALUES (?, ?)", -1, &insert, nullptr) != SQLITE_OK) {
          throw SinkError(std::string("sqlite: prepare failed: ") + sqlite3_errmsg(db));
        }
        for (const Event& e : batch) {
          sqlite3_bind_text(insert, 1, e.key.c_str(), static_cast<int>(e.key.size()), SQLITE_TRANSIENT);
          sqlite3_bind_int64(insert, 2, e.value);
          const int rc = sqlite3_step(insert);
          sqlite3_reset(insert);
          if (rc != SQLITE_DONE) {
            sqlite3_finalize(insert);
            throw SinkError(std::string("sqlite: insert failed: ") + sqlite3_errmsg(db));
          }
        }
        sqlite3_finalize(insert);
        exec(db, "COMMIT");
      } catch (...) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    }
    void close() {
      if (db != nullptr) sqlite3_close_v2(db);
      db = nullptr;
    }
  };

  Partition build_partition(const nlohmann::json& config, int, int, sinkkit::AsyncBridge*, void*) const {
    return Partition(open_sqlite(config.at("path").get<std::string>(), settings, true));
  }

  std::vector<Event> read_back(const nlohmann::json& config) const {
    std::vector<Event> out;
    sqlite3* db = open_sqlite(config.at("path").get<std::string>(), settings, false);
    if (db == nullptr) return out;
    sqlite3_stmt* rows = nullptr;
    sqlite3_prepare_v2(db, "SELECT key, value FROM events ORDER BY rowid", -1, &rows, nullptr);
    int rc = SQLITE_ERROR;
    while (rows != nullptr && (rc = sqlite3_step(rows)) == SQLITE_ROW) {
      out.push_back(Event{reinterpret_cast<const char*>(sqlite3_column_text(rows, 0)), sqlite3_column_int64(rows, 1)});
    }
    const std::string why = sqlite3_errmsg(db);
    sqlite3_finalize(rows);
    sqlite3_close_v2(db);
    if (rc != SQLITE_DONE) throw SinkError("sqlite: reading the table failed: " + why);
    return out;
  }
};

// --- LMDB ------------------------------------------------------------------

struct LmdbSettings {
  unsigned flags = 0;     // MDB_NOSYNC or 0
  bool dirsync = true;    // fsync the directories of what it creates
};

void check_mdb(int rc, const std::string& what) {
  if (rc != MDB_SUCCESS) throw SinkError("lmdb: " + what + " failed: " + mdb_strerror(rc));
}

// One environment per partition (LMDB allows one per path per process), in
// a directory of its own under the target: env-w<worker>-<pid>-<n>.
struct LmdbSink {
  using payload_type = Event;
  std::string name = "lmdb";
  static constexpr bool router_branch_safe = true;
  LmdbSettings settings;

  struct Partition {
    MDB_env* env = nullptr;
    Partition(MDB_env* e) : env(e) {}
    Partition(Partition&& o) noexcept : env(std::exchange(o.env, nullptr)) {}
    Partition& operator=(Partition&&) = delete;
    ~Partition() { close(); }
    void write_batch(sinkkit::Batch<Event> batch) {
      if (env == nullptr) throw sinkkit::ClosedError("write_batch");
      MDB_txn* txn = nullptr;
      check_mdb(mdb_txn_begin(env, nullptr, 0, &txn), "txn_begin");
      try {
        MDB_dbi dbi = 0;
        check_mdb(mdb_dbi_open(txn, nullptr, 0, &dbi), "dbi_open");
        for (const Event& e : batch) {
          std::string value = std::to_string(e.value);
          MDB_val k{e.key.size(), const_cast<char*>(e.key.data())};
          MDB_val v{value.size(), value.data()};
          const int rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
          if (rc != MDB_KEYEXIST) check_mdb(rc, "put");
        }
      } catch (...) {
        mdb_txn_abort(txn);
        throw;
      }
      check_mdb(mdb_txn_commit(txn), "commit");
    }
    void close() {
      if (env != nullptr) mdb_env_close(env);
      env = nullptr;
    }
  };

  Partition build_partition(const nlohmann::json& config, int worker_index, int, sinkkit::AsyncBridge*, void*) const {
    static std::atomic<int> counter{0};
    const fs::path root = config.at("dir").get<std::string>();
    const fs::path dir = root / ("env-w" + std::to_string(worker_index) + "-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(counter++));
    if (::mkdir(dir.c_str(), 0755) != 0) throw SinkError("mkdir " + dir.string() + ": " + std::strerror(errno));
    if (settings.dirsync) fsync_directory(root);
    MDB_env* env = nullptr;
    check_mdb(mdb_env_create(&env), "env_create");
    Partition p(env);
    check_mdb(mdb_env_set_mapsize(env, 64U << 20), "set_mapsize");
    check_mdb(mdb_env_open(env, dir.c_str(), settings.flags, 0644), "env_open " + dir.string());
    // LMDB syncs its data file, never the directory it creates the file in.
    if (settings.dirsync) fsync_directory(dir);
    return p;
  }

  static std::vector<Event> read_back(const nlohmann::json& config) {
    std::vector<fs::path> envs;
    for (const auto& entry : fs::directory_iterator(config.at("dir").get<std::string>())) {
      if (entry.is_directory() && entry.path().filename().string().starts_with("env-")) envs.push_back(entry.path());
    }
    std::sort(envs.begin(), envs.end());
    std::vector<Event> out;
    for (const auto& dir : envs) {
      std::error_code ec;
      // A data file that is not there, or empty, holds no commit: an
      // environment created but never committed (or whose name a cut took).
      if (fs::file_size(dir / "data.mdb", ec) == 0 || ec) continue;
      MDB_env* env = nullptr;
      check_mdb(mdb_env_create(&env), "env_create");
      MDB_txn* txn = nullptr;
      try {
        check_mdb(mdb_env_open(env, dir.c_str(), MDB_RDONLY | MDB_NOLOCK, 0644), "env_open " + dir.string());
        check_mdb(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn), "txn_begin");
        MDB_dbi dbi = 0;
        check_mdb(mdb_dbi_open(txn, nullptr, 0, &dbi), "dbi_open");
        MDB_cursor* cursor = nullptr;
        check_mdb(mdb_cursor_open(txn, dbi, &cursor), "cursor_open");
        MDB_val k, v;
        for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
             rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
          out.push_back(Event{std::string(static_cast<const char*>(k.mv_data), k.mv_size),
                              std::stoll(std::string(static_cast<const char*>(v.mv_data), v.mv_size))});
        }
        mdb_cursor_close(cursor);
        mdb_txn_abort(txn);
      } catch (...) {
        if (txn != nullptr) mdb_txn_abort(txn);
        mdb_env_close(env);
        throw;
      }
      mdb_env_close(env);
    }
    return out;
  }
};

template <class Node>
sinkkit::WireServer<Node> server_of(const Node& node, sinkkit::Capabilities caps, nlohmann::json config) {
  sinkkit::WireServer<Node> s;
  s.fields = {{"value", "int"}};
  s.from_item = [](const nlohmann::json& j) { return Event{j.at("key").get<std::string>(), j.at("value").get<std::int64_t>()}; };
  s.to_item = [](const Event& e) { return nlohmann::json{{"key", e.key}, {"value", e.value}}; };
  s.read_back = [node](const nlohmann::json& target_config) { return node.read_back(target_config); };
  caps.survives_crash = true;
  caps.survives_power_loss = true;  // the promise under test
  s.capabilities = caps;
  s.config_template = std::move(config);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string store = argc > 1 ? argv[1] : "";
  if (store.starts_with("sqlite-")) {
    SqliteSink node;
    if (store == "sqlite-wal-full") node.settings = {"WAL", "FULL"};
    if (store == "sqlite-wal-off") node.settings = {"WAL", "OFF"};
    if (store == "sqlite-delete-full") node.settings = {"DELETE", "FULL"};
    if (store == "sqlite-delete-extra") node.settings = {"DELETE", "EXTRA"};
    if (!node.settings.journal_mode.empty()) {
      node.name = "sqlite3 " + node.settings.journal_mode + " " + node.settings.synchronous;
      auto s = server_of(node, {}, {{"path", "{target}/sink.db"}});
      return sinkkit::serve_wire(node, s);
    }
  }
  if (store == "lmdb" || store == "lmdb-nosync" || store == "lmdb-no-dirsync") {
    LmdbSink node;
    node.settings = {store == "lmdb-nosync" ? MDB_NOSYNC : 0U, store != "lmdb-no-dirsync"};
    node.name = store;
    auto s = server_of(node, {.ordered_per_partition = false}, {{"dir", "{target}"}});
    return sinkkit::serve_wire(node, s);
  }
  std::cerr << "usage: sinkkit_serve_real_storage sqlite-wal-full|sqlite-wal-off|sqlite-delete-full|"
               "sqlite-delete-extra|lmdb|lmdb-nosync|lmdb-no-dirsync\n";
  return 2;
}
