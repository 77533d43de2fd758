#pragma once
// The SQLite table sink's harness: its storage fault hook is a trigger that
// SQLite itself fires, through a SQL function whose state lives outside the
// database, so the fault survives the sink's ROLLBACK and fires only once.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/runners/harness.hpp>
#include <sinkkit/sinks/sqlite_table_sink.hpp>
#include <sinkkit_test/events.hpp>
#include <sinkkit_test/sql_event.hpp>
#include <sqlite3.h>

#include "reference_harnesses.hpp"

namespace sinkkit_harnesses {

// Armed faults, by database file: fail the insert of the row after the next
// `remaining` rows of the partition whose keys start with `prefix`.
class SqliteFaults {
 public:
  static SqliteFaults& instance() {
    static SqliteFaults faults;
    return faults;
  }
  void arm(const std::string& db_file, std::string prefix, std::int64_t remaining) {
    std::lock_guard lock(mutex_);
    armed_[db_file] = {std::move(prefix), remaining};
  }

 private:
  struct Fault {
    std::string prefix;
    std::int64_t remaining;
  };

  SqliteFaults() { sqlite3_auto_extension(reinterpret_cast<void (*)()>(&register_function)); }

  static int register_function(sqlite3* db, char**, const void*) {
    return sqlite3_create_function(db, "sinkkit_fault", 1, SQLITE_UTF8, nullptr, &fault_fn, nullptr, nullptr);
  }

  static void fault_fn(sqlite3_context* ctx, int, sqlite3_value** argv) {
    const char* file = sqlite3_db_filename(sqlite3_context_db_handle(ctx), "main");
    const auto* key = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    sqlite3_result_int(ctx, instance().fires(file ? file : "", key ? key : "") ? 1 : 0);
  }

  bool fires(const std::string& file, std::string_view key) {
    std::lock_guard lock(mutex_);
    auto it = armed_.find(file);
    if (it == armed_.end() || !key.starts_with(it->second.prefix)) return false;
    if (it->second.remaining-- > 0) return false;
    armed_.erase(it);  // once: the retry goes through
    return true;
  }

  std::mutex mutex_;
  std::map<std::string, Fault> armed_;
};

template <bool EveryBatch>
struct SqliteTableSinkHarness : EventItems {
  using node_type = sinkkit::sinks::SqliteTableSink<Event>;
  SqliteTableSinkHarness() { (void)SqliteFaults::instance(); }  // before any connection opens

  node_type make_node() { return {}; }
  nlohmann::json make_config(const sinkkit::TestTarget& t) {
    nlohmann::json c = {{"path", (t.dir / "sink.db").string()}, {"table", "events"}, {"chunk_size", 16}};
    if (EveryBatch) {
      c["buffer_max_records"] = 1;
    } else {
      c["buffer_max_records"] = 50;
    }
    return c;
  }
  std::vector<Event> read_back(const nlohmann::json& config) { return node_type::read_back(config); }
  sinkkit::Capabilities capabilities() { return node_type::capabilities(make_config({"/", "x"})); }
  std::vector<sinkkit::InvalidConfig> invalid_configs(const sinkkit::TestTarget& t) {
    auto ok = make_config(t);
    auto with = [&ok](const char* key, nlohmann::json value) {
      auto c = ok;
      c[key] = std::move(value);
      return c;
    };
    auto without = [&ok](const char* key) {
      auto c = ok;
      c.erase(key);
      return c;
    };
    return {{without("path"), "path"},
            {with("path", (t.dir / "missing" / "x.db").string()), "path"},
            {with("table", "events; DROP TABLE x"), "table"},
            {with("chunk_size", 0), "chunk_size"},
            {with("buffer_max_age_s", -1), "buffer_max_age_s"},
            {with("flush_on_shutdown", "yes"), "flush_on_shutdown"},
            {with("synchronous", "off"), "synchronous"},
            {with("chunksize", 10), "chunksize"}};
  }
  void arm_storage_fault(const nlohmann::json& config, sinkkit::PartitionId p, std::int64_t after_items) {
    const std::string path = config.at("path");
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    const char* sql =
        "CREATE TRIGGER IF NOT EXISTS sinkkit_fault BEFORE INSERT ON events WHEN sinkkit_fault(NEW.key) "
        "BEGIN SELECT RAISE(ABORT, 'sinkkit: injected storage fault'); END";
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    std::string why = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    if (rc != SQLITE_OK) throw std::runtime_error("arming the SQLite fault trigger failed: " + why);
    char* real = ::realpath(path.c_str(), nullptr);
    SqliteFaults::instance().arm(real ? real : path, "w" + std::to_string(p.worker) + ".b" + std::to_string(p.branch) + ".",
                                 after_items);
    std::free(real);
  }
};

using SqliteBufferedHarness = SqliteTableSinkHarness<false>;
using SqliteEveryBatchHarness = SqliteTableSinkHarness<true>;

}  // namespace sinkkit_harnesses
