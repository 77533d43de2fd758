#pragma once
// A sink that keeps rows in memory, safely, and takes a write after close
// as if the partition were open: it breaks only SHOULD rule SK-3.6 (write
// after close fails), which CTest must show.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <sinkkit/protocol/all.hpp>

namespace lenient {

struct Row {
  std::string key;
  friend bool operator==(const Row&, const Row&) = default;
};

struct Rows {
  std::mutex mutex;
  std::map<std::string, std::vector<Row>> of_target;
};

struct Sink {
  using payload_type = Row;
  std::string name = "lenient";
  static constexpr bool router_branch_safe = true;
  std::shared_ptr<Rows> rows;
  static sinkkit::Capabilities capabilities() { return {.ordered_per_partition = false}; }
  struct Partition {
    std::shared_ptr<Rows> rows;
    std::string target;
    void write_batch(sinkkit::Batch<Row> batch) {  // the planted lapse: no check that close came
      std::lock_guard lock(rows->mutex);
      auto& stored = rows->of_target[target];
      for (const auto& r : batch) stored.push_back(r);
    }
    void close() {}
  };
  Partition build_partition(const nlohmann::json& config, int, int, sinkkit::AsyncBridge*, void*) {
    return Partition{rows, config.at("target").get<std::string>()};
  }
};

}  // namespace lenient
