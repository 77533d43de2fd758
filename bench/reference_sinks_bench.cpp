// The reference sinks across batch sizes (1..65,536) and workers (1..8),
// each against the physical limit measured in the same run: a raw write()
// loop of the very bytes the sink writes (with fdatasync per batch, or once
// at the end, to match the sink's fsync policy). Targets (bench/targets.json):
// JsonlFileSink fsync never >= 0.5 of raw write(), fsync batch >= 0.8 of raw
// write()+fdatasync(), in bytes/s at the same batch size and workers.
//
// Names: BM_Jsonl/<fsync>/<batch>/<workers> (the generic nlohmann encoder),
// BM_JsonlDirect/... (a direct JsonlEncoder writing the same bytes), BM_RawWrite/<fsync>/<batch>/<workers>,
// BM_Memory/<batch>/<workers>. Files go to $SINKKIT_BENCH_DIR (default: the
// temp directory): point it at the disk you care about.

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sinkkit/sinks/jsonl_file_sink.hpp>
#include <sinkkit/sinks/memory_sink.hpp>
#include <sinkkit_test/events.hpp>
#include <unistd.h>

namespace {

// Event, written by a direct encoder instead of through nlohmann::json.
struct DirectEvent : sinkkit_test::Event {
  DirectEvent() = default;
  DirectEvent(const sinkkit_test::Event& e) : sinkkit_test::Event(e) {}  // NOLINT: converting on purpose
};
void to_json(nlohmann::json& j, const DirectEvent& e) { sinkkit_test::to_json(j, e); }
void from_json(const nlohmann::json& j, DirectEvent& e) { sinkkit_test::from_json(j, e); }

}  // namespace

template <>
struct sinkkit::sinks::JsonlEncoder<DirectEvent> {
  static void append(sinkkit::sinks::JsonText& out, const DirectEvent& e) {
    using namespace std::string_view_literals;
    out += R"({"key":)"sv;
    append_json_string(out, e.key);
    out += R"(,"value":)"sv;
    append_json_integer(out, e.value);
    out += '}';
  }
};

namespace {

namespace fs = std::filesystem;
using sinkkit::ItemKey;
using sinkkit_test::Event;
using Clock = std::chrono::steady_clock;

const char* const kFsync[] = {"never", "close", "batch"};

fs::path bench_dir() {
  const char* env = std::getenv("SINKKIT_BENCH_DIR");
  fs::path base = env != nullptr && *env != '\0' ? fs::path(env) : fs::temp_directory_path();
  auto dir = base / ("sinkkit-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

// Batches per worker per run: enough items to measure, bounded fsyncs.
std::int64_t batches_per_worker(std::int64_t batch, bool fsync_each) {
  // The smoke test (bench/CMakeLists.txt) only proves each benchmark runs:
  // two batches, not 64K items made and written again under ASan.
  if (const char* smoke = std::getenv("SINKKIT_BENCH_SMOKE"); smoke != nullptr && *smoke != '\0') return 2;
  if (fsync_each) return 32;
  return std::max<std::int64_t>(4, (1 << 16) / batch);
}

struct WorkerData {
  std::vector<std::vector<Event>> batches;
  std::vector<std::string> bytes;  // what the sink writes for each batch
};

// The items of each worker, and the exact bytes JsonlFileSink writes for them
// (taken from a file it wrote, cut at the batch boundaries).
std::vector<WorkerData> make_data(std::int64_t batch, int workers, std::int64_t per_worker) {
  std::vector<WorkerData> data(static_cast<std::size_t>(workers));
  const auto dir = bench_dir() / "reference";
  fs::remove_all(dir);
  fs::create_directories(dir);
  sinkkit::sinks::JsonlFileSink<Event> node;
  const nlohmann::json cfg = {{"dir", dir.string()}, {"fsync", "never"}};
  for (int w = 0; w < workers; ++w) {
    auto& d = data[static_cast<std::size_t>(w)];
    std::int64_t seq = 0;
    for (std::int64_t b = 0; b < per_worker; ++b) {
      auto& items = d.batches.emplace_back();
      for (std::int64_t i = 0; i < batch; ++i) items.push_back(sinkkit_test::event_for(ItemKey{w, 0, b, seq++}));
    }
    auto p = node.build_partition(cfg, w, workers, nullptr, nullptr);
    for (const auto& items : d.batches) p.write_batch(items);
    p.close();
    std::ifstream in(p.path(), std::ios::binary);
    std::stringstream all;
    all << in.rdbuf();
    const std::string text = all.str();
    std::size_t pos = 0;
    for (const auto& items : d.batches) {
      std::size_t end = pos;
      for (std::size_t n = 0; n < items.size(); ++n) end = text.find('\n', end) + 1;
      d.bytes.push_back(text.substr(pos, end - pos));
      pos = end;
    }
  }
  fs::remove_all(dir);
  return data;
}

std::int64_t total_bytes(const std::vector<WorkerData>& data) {
  std::int64_t n = 0;
  for (const auto& d : data)
    for (const auto& b : d.bytes) n += static_cast<std::int64_t>(b.size());
  return n;
}

// Runs `body(worker)` on `workers` threads released together; returns the
// span from the first start to the last end, as each thread saw them (the
// releasing thread may be scheduled after a short body already finished).
template <class Body>
double timed_on_threads(int workers, Body body) {
  std::barrier start(workers);
  std::vector<Clock::time_point> begin(static_cast<std::size_t>(workers)), end(begin.size());
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      start.arrive_and_wait();
      begin[static_cast<std::size_t>(w)] = Clock::now();
      body(w);
      end[static_cast<std::size_t>(w)] = Clock::now();
    });
  }
  for (auto& t : threads) t.join();
  return std::chrono::duration<double>(*std::max_element(end.begin(), end.end()) -
                                       *std::min_element(begin.begin(), begin.end()))
      .count();
}

void finish(benchmark::State& state, const std::vector<WorkerData>& data, std::int64_t batch, int workers) {
  std::int64_t items = 0;
  for (const auto& d : data) items += static_cast<std::int64_t>(d.batches.size()) * batch;
  state.SetItemsProcessed(state.iterations() * items);
  state.SetBytesProcessed(state.iterations() * total_bytes(data));
  state.counters["batch"] = static_cast<double>(batch);
  state.counters["workers"] = workers;
}

// P's batches for each worker (Event's, or a copy as a subtype-free P).
template <class P>
std::vector<std::vector<std::vector<P>>> batches_as(const std::vector<WorkerData>& data) {
  std::vector<std::vector<std::vector<P>>> out;
  for (const auto& d : data) {
    auto& worker = out.emplace_back();
    for (const auto& items : d.batches) worker.emplace_back(items.begin(), items.end());
  }
  return out;
}

// BM_Jsonl<Event>: the sink with the generic encoder (nlohmann::json builds a
// tree per item). BM_Jsonl<DirectEvent>: the same items and the very same
// bytes through a direct encoder, which leaves the sink's own costs.
template <class P>
void BM_Jsonl(benchmark::State& state, const std::string& fsync) {
  const auto batch = state.range(0);
  const int workers = static_cast<int>(state.range(1));
  const auto data = make_data(batch, workers, batches_per_worker(batch, fsync == "batch"));
  const auto batches = batches_as<P>(data);
  {
    typename sinkkit::sinks::JsonlFileSink<P>::Partition::Buffer first;
    for (const auto& item : batches[0][0]) (sinkkit::sinks::JsonlEncoder<P>::append(first, item), first += '\n');
    if (std::string_view(first) != data[0].bytes[0]) state.SkipWithError("the encoder writes other bytes than the baseline's");
  }
  const auto dir = bench_dir() / "jsonl";
  sinkkit::sinks::JsonlFileSink<P> node;
  const nlohmann::json cfg = {{"dir", dir.string()}, {"fsync", fsync}};
  for (auto _ : state) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::vector<typename sinkkit::sinks::JsonlFileSink<P>::Partition> parts;
    for (int w = 0; w < workers; ++w) parts.push_back(node.build_partition(cfg, w, workers, nullptr, nullptr));
    state.SetIterationTime(timed_on_threads(workers, [&](int w) {
      auto& p = parts[static_cast<std::size_t>(w)];
      for (const auto& items : batches[static_cast<std::size_t>(w)]) p.write_batch(items);
      p.close();
    }));
  }
  fs::remove_all(dir);
  finish(state, data, batch, workers);
}

// The same bytes, one write() per batch, O_APPEND like the sink.
void BM_RawWrite(benchmark::State& state, const std::string& fsync) {
  const auto batch = state.range(0);
  const int workers = static_cast<int>(state.range(1));
  const auto data = make_data(batch, workers, batches_per_worker(batch, fsync == "batch"));
  const auto dir = bench_dir() / "raw";
  for (auto _ : state) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::vector<int> fds;
    for (int w = 0; w < workers; ++w) {
      const auto path = dir / ("raw-" + std::to_string(w));
      fds.push_back(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
      if (fds.back() < 0) state.SkipWithError("cannot open a file in the bench directory");
    }
    state.SetIterationTime(timed_on_threads(workers, [&](int w) {
      const int fd = fds[static_cast<std::size_t>(w)];
      for (const auto& bytes : data[static_cast<std::size_t>(w)].bytes) {
        if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) std::abort();
        if (fsync == "batch") ::fdatasync(fd);
      }
      if (fsync != "never") ::fdatasync(fd);
      ::close(fd);
    }));
  }
  fs::remove_all(dir);
  finish(state, data, batch, workers);
}

void BM_Memory(benchmark::State& state) {
  const auto batch = state.range(0);
  const int workers = static_cast<int>(state.range(1));
  const auto data = make_data(batch, workers, batches_per_worker(batch, false));
  const nlohmann::json cfg = {{"target", "bench"}};
  for (auto _ : state) {
    sinkkit::sinks::MemorySink<Event> node;
    std::vector<sinkkit::sinks::MemorySink<Event>::Partition> parts;
    for (int w = 0; w < workers; ++w) parts.push_back(node.build_partition(cfg, w, workers, nullptr, nullptr));
    state.SetIterationTime(timed_on_threads(workers, [&](int w) {
      auto& p = parts[static_cast<std::size_t>(w)];
      for (const auto& items : data[static_cast<std::size_t>(w)].batches) p.write_batch(items);
      p.close();
    }));
  }
  finish(state, data, batch, workers);
}

void grid(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "workers"});
  for (std::int64_t batch : {1, 16, 256, 4096, 65536})
    for (std::int64_t workers : {1, 2, 4, 8}) b->Args({batch, workers});
}

// Named per fsync policy ("BM_Jsonl/fsync:batch/batch:256/workers:4"), so
// that a name says what it measures and pairs with its baseline.
[[maybe_unused]] const bool kRegistered = [] {
  for (const std::string fsync : kFsync) {
    benchmark::RegisterBenchmark(("BM_RawWrite/fsync:" + fsync).c_str(), BM_RawWrite, fsync)
        ->Apply(grid)->UseManualTime()->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_Jsonl/fsync:" + fsync).c_str(), BM_Jsonl<Event>, fsync)
        ->Apply(grid)->UseManualTime()->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_JsonlDirect/fsync:" + fsync).c_str(), BM_Jsonl<DirectEvent>, fsync)
        ->Apply(grid)->UseManualTime()->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("BM_Memory", BM_Memory)->Apply(grid)->UseManualTime()->Unit(benchmark::kMillisecond);
  return true;
}();

}  // namespace
