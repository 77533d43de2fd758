// SqliteTableSink rows/s by chunk size, against the same rows inserted by a
// hand-written loop in the same run: one transaction, one prepared
// single-row INSERT stepped per row (what a careful sink without chunking
// does). Both write 4096 rows per iteration to a fresh table.

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <sinkkit/sinks/sqlite_table_sink.hpp>
#include <sinkkit_test/events.hpp>
#include <sinkkit_test/sql_event.hpp>
#include <sqlite3.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using sinkkit_test::Event;
constexpr int kRows = 4096;

struct BenchDir {
  fs::path path;
  BenchDir() {
    static std::atomic<int> n{0};
    path = fs::temp_directory_path() / ("sinkkit-sqlite-bench-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(path);
  }
  ~BenchDir() { fs::remove_all(path); }
};

std::vector<Event> rows(int iteration) {
  std::vector<Event> v;
  v.reserve(kRows);
  for (int i = 0; i < kRows; ++i) v.push_back({"r" + std::to_string(iteration) + "-" + std::to_string(i), i});
  return v;
}

void BM_Sqlite_RowLoop_Baseline(benchmark::State& state) {
  BenchDir dir;
  sqlite3* db = nullptr;
  sqlite3_open((dir.path / "b.db").c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
               "CREATE TABLE events (key TEXT, value INTEGER, UNIQUE(key))", nullptr, nullptr, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO events (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", -1, &stmt, nullptr);
  int iteration = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = rows(iteration++);
    state.ResumeTiming();
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (const auto& e : batch) {
      sqlite3_reset(stmt);
      sqlite3_bind_text(stmt, 1, e.key.data(), static_cast<int>(e.key.size()), SQLITE_TRANSIENT);
      sqlite3_bind_int64(stmt, 2, e.value);
      sqlite3_step(stmt);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  state.SetItemsProcessed(state.iterations() * kRows);
}

void BM_SqliteTableSink_Flush(benchmark::State& state) {
  BenchDir dir;
  sinkkit::sinks::SqliteTableSink<Event> node;
  nlohmann::json cfg = {{"path", (dir.path / "b.db").string()},
                        {"table", "events"},
                        {"chunk_size", state.range(0)},
                        {"buffer_max_records", kRows},
                        {"synchronous", "normal"}};  // as the baseline: the work, not the disk's fsync
  auto p = node.build_partition(cfg, 0, 1, nullptr, nullptr);
  int iteration = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = rows(iteration++);
    state.ResumeTiming();
    p.write_batch(batch);  // reaches buffer_max_records: one flush of kRows rows
  }
  p.close();
  state.SetItemsProcessed(state.iterations() * kRows);
  state.counters["chunk_size"] = static_cast<double>(state.range(0));
}

// Real time: the work is I/O as much as CPU.
BENCHMARK(BM_Sqlite_RowLoop_Baseline)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SqliteTableSink_Flush)->Arg(1)->Arg(16)->Arg(128)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
