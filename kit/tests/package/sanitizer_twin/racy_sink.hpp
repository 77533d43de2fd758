#pragma once
// A sink whose partitions all append to one std::vector per target, with no
// lock: a data race between workers (rule SK-2.10).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <sinkkit/protocol/all.hpp>

namespace racy {

struct Row {
  std::string key;
  friend bool operator==(const Row&, const Row&) = default;
};

struct Rows {
  std::mutex mutex;  // the map's; each vector is shared unguarded
  std::map<std::string, std::vector<Row>> of_target;
};

struct Sink {
  using payload_type = Row;
  std::string name = "racy";
  static constexpr bool router_branch_safe = true;
  std::shared_ptr<Rows> rows;
  static sinkkit::Capabilities capabilities() { return {.ordered_per_partition = false}; }
  struct Partition {
    std::vector<Row>* rows;
    bool closed = false;
    void write_batch(sinkkit::Batch<Row> batch);  // racy_sink.cpp: a library of its own
    void close() { closed = true; }
  };
  Partition build_partition(const nlohmann::json& config, int, int, sinkkit::AsyncBridge*, void*) {
    std::lock_guard lock(rows->mutex);
    auto& shared = rows->of_target[config.at("target").get<std::string>()];
    shared.reserve(1U << 14);
    return Partition{&shared};
  }
};

}  // namespace racy
