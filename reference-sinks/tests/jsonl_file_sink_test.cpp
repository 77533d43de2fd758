#include <sinkkit/sinks/jsonl_file_sink.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sinkkit/protocol/concepts.hpp>
#include <sinkkit_test/events.hpp>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using sinkkit::sinks::JsonlFileSink;
using sinkkit_test::Event;
using FileSink = JsonlFileSink<Event>;

static_assert(sinkkit::IntoSink<FileSink>);
static_assert(sinkkit::SinkPartition<FileSink::Partition, sinkkit_test::TaggedEvent>);

std::vector<Event> numbered_events(int from, int to) {
  std::vector<Event> out;
  for (int i = from; i < to; ++i) out.push_back(sinkkit_test::make_event(i));
  return out;
}

std::size_t open_fd_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs in a death-test child: caps the file size a little past `intact` so
// the next write stops part-way (EFBIG), and returns 0 when the sink threw
// and cut the partial batch off.
int append_past_file_size_cap(FileSink::Partition& p, std::uintmax_t intact) {
  std::signal(SIGXFSZ, SIG_IGN);
  const auto cap = static_cast<rlim_t>(intact + 30);
  rlimit limit{cap, cap};
  setrlimit(RLIMIT_FSIZE, &limit);
  bool threw = false;
  try {
    p.write_batch(numbered_events(100, 200));  // ~2.5 KB: far past the cap
  } catch (const sinkkit::SinkError&) {
    threw = true;
  }
  return threw && fs::file_size(p.path()) == intact ? 0 : 1;
}

class JsonlFileSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("sinkkit-jsonl-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  json cfg(const std::string& fsync = "batch") const { return {{"dir", dir_.string()}, {"fsync", fsync}}; }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  // Returns the ConfigError's key for building with `config`, or "" if none.
  static std::string config_error_key(const json& config) {
    try {
      FileSink{}.build_partition(config, 0, 1, nullptr, nullptr);
    } catch (const sinkkit::ConfigError& e) {
      return e.key();
    }
    return "";
  }
  fs::path dir_;
};

TEST_F(JsonlFileSinkTest, RoundTripsEveryBatchUnderEveryFsyncPolicy) {
  for (std::string policy : {"batch", "close", "never"}) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    FileSink node;
    auto p = node.build_partition(cfg(policy), 0, 1, nullptr, nullptr);
    p.write_batch(numbered_events(0, 3));
    EXPECT_EQ(FileSink::read_back(cfg(policy)), numbered_events(0, 3)) << policy << ": readable on return";
    p.write_batch(numbered_events(3, 4));
    p.write_batch(std::vector<Event>{});  // empty batch: accepted, changes nothing
    p.close();
    EXPECT_EQ(FileSink::read_back(cfg(policy)), numbered_events(0, 4)) << policy;
  }
}

TEST_F(JsonlFileSinkTest, OneFilePerPartitionAcrossWorkersAndBranches) {
  FileSink node;
  auto w0 = node.build_partition(cfg(), 0, 2, nullptr, nullptr);
  auto w0_branch = node.build_partition(cfg(), 0, 2, nullptr, nullptr);
  auto w1 = node.build_partition(cfg(), 1, 2, nullptr, nullptr);
  FileSink other_node;  // a second node on the same dir must not collide either
  auto w1_other = other_node.build_partition(cfg(), 1, 2, nullptr, nullptr);
  EXPECT_EQ(files(), (std::vector<std::string>{"part-w0-b0.jsonl", "part-w0-b1.jsonl", "part-w1-b0.jsonl",
                                               "part-w1-b1.jsonl"}));
  w0.write_batch(numbered_events(0, 2));
  w0_branch.write_batch(numbered_events(10, 11));
  w0.write_batch(numbered_events(2, 3));
  w1.write_batch(numbered_events(20, 21));
  w1_other.write_batch(numbered_events(30, 31));
  for (auto* p : {&w0, &w0_branch, &w1, &w1_other}) p->close();
  auto stored = FileSink::read_back(cfg());
  std::vector<Event> expected = numbered_events(0, 3);
  for (int i : {10, 20, 30}) expected.push_back(sinkkit_test::make_event(i));
  EXPECT_EQ(stored, expected);
}

TEST_F(JsonlFileSinkTest, ASecondRunAppendsAndNeverOverwrites) {
  {
    FileSink node;
    for (int w = 0; w < 4; ++w) {
      auto p = node.build_partition(cfg(), w, 4, nullptr, nullptr);
      p.write_batch(numbered_events(w * 10, w * 10 + 2));
      p.close();
    }
  }
  FileSink node;  // scale down 4 -> 2: workers 0 and 1 reuse their files
  for (int w = 0; w < 2; ++w) {
    auto p = node.build_partition(cfg(), w, 2, nullptr, nullptr);
    p.write_batch(numbered_events(100 + w, 101 + w));
    p.close();
  }
  auto stored = FileSink::read_back(cfg());
  EXPECT_EQ(stored.size(), 10u);
  for (int w = 0; w < 4; ++w) {
    for (int i = w * 10; i < w * 10 + 2; ++i) {
      EXPECT_NE(std::find(stored.begin(), stored.end(), sinkkit_test::make_event(i)), stored.end()) << i;
    }
  }
}

TEST_F(JsonlFileSinkTest, ATornTailFromACrashIsCutOffAtBuildAndNeverRead) {
  {
    std::ofstream out(dir_ / "part-w0-b0.jsonl", std::ios::binary);
    out << R"({"key":"k1","value":1})" << '\n' << R"({"key":"k2","val)";  // the crash hit mid-line
  }
  EXPECT_EQ(FileSink::read_back(cfg()), numbered_events(1, 2)) << "read-back skips a torn tail";
  FileSink node;
  auto p = node.build_partition(cfg(), 0, 1, nullptr, nullptr);
  EXPECT_EQ(p.repaired_bytes(), std::string(R"({"key":"k2","val)").size());
  p.write_batch(numbered_events(3, 4));
  p.close();
  EXPECT_EQ(FileSink::read_back(cfg()), (std::vector<Event>{sinkkit_test::make_event(1), sinkkit_test::make_event(3)}));
  EXPECT_EQ(slurp(dir_ / "part-w0-b0.jsonl"), "{\"key\":\"k1\",\"value\":1}\n{\"key\":\"k3\",\"value\":3}\n");
}

TEST_F(JsonlFileSinkTest, AFileThatIsAllTornIsEmptiedAtBuild) {
  { std::ofstream(dir_ / "part-w0-b0.jsonl", std::ios::binary) << R"({"key":"k1")"; }
  FileSink node;
  auto p = node.build_partition(cfg(), 0, 1, nullptr, nullptr);
  EXPECT_EQ(p.repaired_bytes(), 11u);
  p.close();
  EXPECT_EQ(fs::file_size(dir_ / "part-w0-b0.jsonl"), 0u);
}

TEST_F(JsonlFileSinkTest, CorruptCompleteLinesFailReadBackNamingFileAndLine) {
  { std::ofstream(dir_ / "part-w0-b0.jsonl", std::ios::binary) << R"({"key":"k1","value":1})" << "\nnot json\n"; }
  try {
    FileSink::read_back(cfg());
    FAIL() << "a corrupt line was read back";
  } catch (const sinkkit::SinkError& e) {
    EXPECT_NE(std::string(e.what()).find("part-w0-b0.jsonl:2"), std::string::npos) << e.what();
  }
}

TEST_F(JsonlFileSinkTest, BadConfigsNameTheKey) {
  fs::path not_a_dir = dir_ / "file.txt";
  std::ofstream(not_a_dir) << "x";
  EXPECT_EQ(config_error_key(json::object()), "dir");
  EXPECT_EQ(config_error_key(json{{"dir", nullptr}}), "dir");
  EXPECT_EQ(config_error_key(json{{"dir", 5}}), "dir");
  EXPECT_EQ(config_error_key(json{{"dir", (dir_ / "missing").string()}}), "dir");
  EXPECT_EQ(config_error_key(json{{"dir", not_a_dir.string()}}), "dir");
  EXPECT_EQ(config_error_key(json{{"dir", "/proc/self"}}), "dir") << "/proc refuses new files, even for root";
  EXPECT_EQ(config_error_key(json{{"dir", dir_.string()}, {"fsync", "sometimes"}}), "fsync");
  EXPECT_EQ(config_error_key(json{{"dir", dir_.string()}, {"fsync", true}}), "fsync");
  EXPECT_EQ(config_error_key(json{{"dir", dir_.string()}, {"fsnyc", "batch"}}), "fsnyc");
  EXPECT_EQ(config_error_key(json::array()), "<config>");
  EXPECT_EQ(files(), std::vector<std::string>{"file.txt"}) << "a rejected config leaves nothing behind";
  EXPECT_EQ(config_error_key(json{{"dir", dir_.string()}}), "") << "control: a good config builds";
}

TEST_F(JsonlFileSinkTest, CloseIsIdempotentReleasesTheFileAndLaterWritesThrow) {
  auto before = open_fd_count();
  FileSink node;
  auto p = node.build_partition(cfg("close"), 0, 1, nullptr, nullptr);
  EXPECT_EQ(open_fd_count(), before + 1);
  p.write_batch(numbered_events(0, 2));
  p.close();
  EXPECT_EQ(open_fd_count(), before);
  EXPECT_NO_THROW(p.close());
  EXPECT_NO_THROW(p.close());
  EXPECT_THROW(p.write_batch(numbered_events(2, 3)), sinkkit::ClosedError);
  EXPECT_EQ(FileSink::read_back(cfg()), numbered_events(0, 2)) << "repeated closes change nothing";
  // The lock went with the descriptor: a new partition of worker 0 gets b0 again.
  auto again = node.build_partition(cfg(), 0, 1, nullptr, nullptr);
  EXPECT_EQ(again.path().filename(), "part-w0-b0.jsonl");
  again.close();
}

TEST_F(JsonlFileSinkTest, CloseWithNoWriteSucceeds) {
  FileSink node;
  auto p = node.build_partition(cfg(), 3, 4, nullptr, nullptr);
  EXPECT_NO_THROW(p.close());
  EXPECT_TRUE(FileSink::read_back(cfg()).empty());
}

TEST_F(JsonlFileSinkTest, AnItemThatCannotBeEncodedFailsTheWholeBatchBeforeAnyWrite) {
  FileSink node;
  auto p = node.build_partition(cfg(), 0, 1, nullptr, nullptr);
  p.write_batch(numbered_events(0, 1));
  std::vector<Event> bad{sinkkit_test::make_event(1), Event{"\xff\xfe not utf-8", 2}};
  try {
    p.write_batch(bad);
    FAIL() << "invalid UTF-8 was written";
  } catch (const sinkkit::SinkError& e) {
    EXPECT_NE(std::string(e.what()).find("item 1"), std::string::npos) << e.what();
  }
  p.close();
  EXPECT_EQ(FileSink::read_back(cfg()), numbered_events(0, 1)) << "no part of the failed batch may land";
}

TEST_F(JsonlFileSinkTest, AFailedAppendLeavesNoPartialBatch) {
  // In a child: cap the file size so the write stops part-way (EFBIG), then
  // check that the sink cut the partial batch off and threw.
  FileSink node;
  auto p = node.build_partition(cfg("never"), 0, 1, nullptr, nullptr);
  p.write_batch(numbered_events(0, 2));
  auto intact = fs::file_size(p.path());
  EXPECT_EXIT(std::_Exit(append_past_file_size_cap(p, intact)), ::testing::ExitedWithCode(0), "");
  EXPECT_EQ(FileSink::read_back(cfg()), numbered_events(0, 2));
  p.close();
}

TEST_F(JsonlFileSinkTest, ConcurrentWorkersWriteTheirOwnFiles) {
  constexpr int kWorkers = 6;
  FileSink node;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      auto p = node.build_partition(cfg("never"), w, kWorkers, nullptr, nullptr);
      for (int b = 0; b < 50; ++b) p.write_batch(numbered_events(w * 1000 + b * 4, w * 1000 + b * 4 + 4));
      p.close();
    });
  }
  for (auto& t : threads) t.join();
  auto stored = FileSink::read_back(cfg());
  ASSERT_EQ(stored.size(), static_cast<std::size_t>(kWorkers * 200));
  for (int w = 0; w < kWorkers; ++w) {  // files are read in worker order, each in write order
    for (int i = 0; i < 200; ++i) ASSERT_EQ(stored[static_cast<std::size_t>(w * 200 + i)].value, w * 1000 + i);
  }
}

}  // namespace
