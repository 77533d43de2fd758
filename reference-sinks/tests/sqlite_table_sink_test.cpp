// SqliteTableSink: buffering and flush thresholds, a failed flush keeps its
// rows, replays do not duplicate, a locked database is a clear SinkError,
// concurrent partitions share one file, and config errors name their key.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sinkkit/sinks/sqlite_table_sink.hpp>
#include <sinkkit_test/events.hpp>
#include <sinkkit_test/sql_event.hpp>
#include <sqlite3.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using sinkkit_test::Event;
using TableSink = sinkkit::sinks::SqliteTableSink<Event>;

class SqliteTableSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    dir_ = fs::temp_directory_path() / ("sinkkit-sqlite-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  nlohmann::json config(nlohmann::json extra = nlohmann::json::object()) const {
    nlohmann::json c = {{"path", (dir_ / "t.db").string()}, {"table", "events"}};
    c.update(extra);
    return c;
  }
  static std::vector<Event> events(int from, int n) {
    std::vector<Event> v;
    for (int i = from; i < from + n; ++i) v.push_back({"k" + std::to_string(i), i});
    return v;
  }
  // Runs `sql` on a connection of its own (another process would do this).
  void exec(const std::string& sql) const {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "t.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string why = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << why;
  }

  fs::path dir_;
};

TEST_F(SqliteTableSinkTest, BuffersUntilThresholdThenFlushesAndCloseFlushesTheRest) {
  TableSink node;
  auto cfg = config({{"buffer_max_records", 10}, {"chunk_size", 3}});
  auto p = node.build_partition(cfg, 0, 1, nullptr, nullptr);
  auto first = events(0, 6);
  p.write_batch(first);
  EXPECT_TRUE(TableSink::read_back(cfg).empty()) << "6 rows are below the threshold of 10";
  auto second = events(6, 6);
  p.write_batch(second);
  EXPECT_EQ(TableSink::read_back(cfg).size(), 12U) << "the threshold flushes everything buffered";
  auto third = events(12, 2);
  p.write_batch(third);
  p.close();
  p.close();  // idempotent
  EXPECT_EQ(TableSink::read_back(cfg), events(0, 14));
  EXPECT_EQ(TableSink::capabilities(cfg).durability, sinkkit::Durability::on_close);
}

TEST_F(SqliteTableSinkTest, FlushingEveryBatchIsDurableOnReturn) {
  TableSink node;
  auto cfg = config({{"buffer_max_records", 1}});
  EXPECT_EQ(TableSink::capabilities(cfg).durability, sinkkit::Durability::on_return);
  EXPECT_TRUE(TableSink::capabilities(cfg).survives_crash);
  auto p = node.build_partition(cfg, 0, 1, nullptr, nullptr);
  auto batch = events(0, 5);
  p.write_batch(batch);
  EXPECT_EQ(TableSink::read_back(cfg), batch);
}

TEST_F(SqliteTableSinkTest, AgeFlushDoesNotWaitForAnEmptyBatchOrClose) {
  TableSink node;
  auto cfg = config({{"buffer_max_age_s", 1}});
  auto p = node.build_partition(cfg, 0, 1, nullptr, nullptr);
  auto a = events(0, 1);
  p.write_batch(a);
  EXPECT_TRUE(TableSink::read_back(cfg).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto b = events(1, 1);
  p.write_batch(b);  // the next write notices the age
  EXPECT_EQ(TableSink::read_back(cfg).size(), 2U);
}

TEST_F(SqliteTableSinkTest, AFailedFlushKeepsEveryRowForTheNextFlush) {
  TableSink node;
  auto cfg = config({{"buffer_max_records", 4}, {"chunk_size", 2}});
  auto p = node.build_partition(cfg, 0, 1, nullptr, nullptr);
  // Storage refuses one row: the whole flush transaction rolls back.
  exec("CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.key = 'k3' BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
  auto batch = events(0, 4);
  try {
    p.write_batch(batch);
    FAIL() << "the flush should have failed";
  } catch (const sinkkit::SinkError& e) {
    EXPECT_NE(std::string(e.what()).find("disk says no"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("events"), std::string::npos) << "names the table: " << e.what();
  }
  EXPECT_TRUE(TableSink::read_back(cfg).empty()) << "all or nothing";
  exec("DROP TRIGGER refuse");
  auto more = events(4, 1);
  p.write_batch(more);
  p.close();
  EXPECT_EQ(TableSink::read_back(cfg), events(0, 5)) << "the failed flush's rows were kept and written later";
}

TEST_F(SqliteTableSinkTest, AReplayedBatchDoesNotDuplicateRows) {
  TableSink node;
  auto cfg = config({{"buffer_max_records", 1}});
  auto p = node.build_partition(cfg, 0, 1, nullptr, nullptr);
  auto batch = events(0, 3);
  p.write_batch(batch);
  p.write_batch(batch);
  p.close();
  auto q = node.build_partition(cfg, 0, 1, nullptr, nullptr);  // a restart replays too
  q.write_batch(batch);
  q.close();
  EXPECT_EQ(TableSink::read_back(cfg), batch);
}

TEST_F(SqliteTableSinkTest, ALockedDatabaseIsASinkErrorAfterTheBusyTimeoutAndNothingIsLost) {
  TableSink node;
  auto cfg = config({{"buffer_max_records", 1}, {"busy_timeout_ms", 50}});
  auto p = node.build_partition(cfg, 0, 1, nullptr, nullptr);
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "t.db").c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto batch = events(0, 2);
  try {
    p.write_batch(batch);
    FAIL() << "a write into a locked database should fail";
  } catch (const sinkkit::SinkError& e) {
    EXPECT_NE(std::string(e.what()).find("locked"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("50 ms"), std::string::npos) << e.what();
  }
  sqlite3_exec(holder, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  p.close();  // retries the kept rows
  EXPECT_EQ(TableSink::read_back(cfg), batch);
}

TEST_F(SqliteTableSinkTest, ConcurrentPartitionsShareOneDatabaseFile) {
  TableSink node;
  auto cfg = config({{"buffer_max_records", 7}, {"chunk_size", 5}});
  constexpr int kWorkers = 4, kBatches = 40, kSize = 5;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      auto p = node.build_partition(cfg, w, kWorkers, nullptr, nullptr);
      for (int b = 0; b < kBatches; ++b) {
        auto batch = events((w * kBatches + b) * kSize, kSize);
        p.write_batch(batch);
      }
      p.close();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(TableSink::read_back(cfg).size(), static_cast<std::size_t>(kWorkers * kBatches * kSize));
}

TEST_F(SqliteTableSinkTest, WriteAfterCloseIsAClosedError) {
  TableSink node;
  auto p = node.build_partition(config(), 0, 1, nullptr, nullptr);
  p.close();
  auto batch = events(0, 1);
  EXPECT_THROW(p.write_batch(batch), sinkkit::ClosedError);
}

TEST_F(SqliteTableSinkTest, BadConfigsNameTheirKey) {
  TableSink node;
  auto expect_key = [&](nlohmann::json cfg, const std::string& key) {
    try {
      (void)node.build_partition(cfg, 0, 1, nullptr, nullptr);
      ADD_FAILURE() << "accepted " << cfg.dump();
    } catch (const sinkkit::ConfigError& e) {
      EXPECT_EQ(e.key(), key) << e.what();
    }
  };
  expect_key({{"table", "t"}}, "path");
  expect_key({{"path", (dir_ / "no" / "x.db").string()}, {"table", "t"}}, "path");
  expect_key(config({{"table", "a b"}}), "table");
  expect_key(config({{"chunk_size", 20000}}), "chunk_size");  // 2 columns: at most 16383 rows per INSERT
  expect_key(config({{"buffer_max_records", 0}}), "buffer_max_records");
  expect_key(config({{"flush_on_shutdown", 1}}), "flush_on_shutdown");
  expect_key(config({{"fluhs_on_shutdown", true}}), "fluhs_on_shutdown");
}

}  // namespace
