#pragma once
// A sink that records every call it receives, from the sink's side, so tests
// can check the simulator against the runtime model independently of the
// simulator's own trace. Thread-safe.

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/async_bridge.hpp>
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/protocol/item_key.hpp>
#include <sinkkit_test/events.hpp>

namespace sinkkit_test {

struct RecordedCall {
  std::string op;  // build | write_batch | close
  int partition = -1;  // serial number of the partition, in build order
  int worker_index = -1;
  int worker_count = -1;
  std::vector<sinkkit::ItemKey> keys;
  std::ptrdiff_t stride = 0;
  std::uint64_t start = 0, end = 0;  // global order counter around the call
  std::thread::id thread;
  bool bridge = false;
  void* session = nullptr;
};

struct Recorder {
  std::mutex mutex;
  std::vector<RecordedCall> calls;
  std::atomic<std::uint64_t> clock{0};
  std::atomic<int> partitions{0};
  // Failure switches for tests of error recording.
  std::string throw_on_write;  // "config" | "sink" | "runtime" | "int"
  int throw_on_build_worker = -1;

  void add(RecordedCall c) {
    std::lock_guard lock(mutex);
    calls.push_back(std::move(c));
  }
  std::vector<RecordedCall> of(const std::string& op) {
    std::lock_guard lock(mutex);
    std::vector<RecordedCall> out;
    for (const auto& c : calls)
      if (c.op == op) out.push_back(c);
    return out;
  }
};

class RecordingPartition {
 public:
  RecordingPartition(std::shared_ptr<Recorder> r, int id, int worker) : r_(std::move(r)), id_(id), worker_(worker) {}
  void write_batch(sinkkit::Batch<Event> batch) {
    RecordedCall c{.op = "write_batch", .partition = id_, .worker_index = worker_};
    c.start = r_->clock.fetch_add(1);
    for (const Event& e : batch) c.keys.push_back(key_of(e));
    c.stride = batch.stride_bytes();
    c.thread = std::this_thread::get_id();
    const auto& mode = r_->throw_on_write;
    if (mode == "config") throw sinkkit::ConfigError("table", "vanished");
    if (mode == "sink") throw sinkkit::SinkError("disk full");
    if (mode == "runtime") throw std::runtime_error("boom");
    if (mode == "int") throw 42;
    c.end = r_->clock.fetch_add(1);
    r_->add(std::move(c));
  }
  void close() {
    RecordedCall c{.op = "close", .partition = id_, .worker_index = worker_};
    c.start = r_->clock.fetch_add(1);
    c.thread = std::this_thread::get_id();
    c.end = r_->clock.fetch_add(1);
    r_->add(std::move(c));
  }

 private:
  std::shared_ptr<Recorder> r_;
  int id_;
  int worker_;
};

struct RecordingSink {
  using payload_type = Event;
  std::string name = "recording";
  static constexpr bool router_branch_safe = true;
  std::shared_ptr<Recorder> recorder = std::make_shared<Recorder>();

  RecordingPartition build_partition(const nlohmann::json&, int worker_index, int worker_count,
                                     sinkkit::AsyncBridge* bridge, void* session) {
    if (worker_index == recorder->throw_on_build_worker) throw sinkkit::ConfigError("dsn", "unreachable");
    int id = recorder->partitions.fetch_add(1);
    RecordedCall c{.op = "build", .partition = id, .worker_index = worker_index, .worker_count = worker_count};
    c.start = recorder->clock.fetch_add(1);
    c.thread = std::this_thread::get_id();
    c.bridge = bridge != nullptr;
    c.session = session;
    c.end = recorder->clock.fetch_add(1);
    recorder->add(std::move(c));
    return RecordingPartition(recorder, id, worker_index);
  }
};

}  // namespace sinkkit_test
