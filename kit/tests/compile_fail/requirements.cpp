// The compile errors a sink author gets for each requirement of IntoSink,
// SinkPartition and Harness they miss (kit/tests/CMakeLists.txt compiles this
// file once per MISS_* case, and once with none as the control). Each case
// breaks one member of an otherwise complete harness; its test checks that
// the first error names that member (protocol/diagnostics.hpp,
// runners/harness.hpp's check_harness). docs/conformance.md lists them.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/runners/gtest.hpp>

namespace ledger {

struct Trade {
  std::string key;
  std::int64_t cents = 0;
};

struct Partition {
#if defined(MISS_write_batch)
  void write_batch(const std::vector<Trade>& items);  // the usual mistake: not a Batch
#else
  void write_batch(sinkkit::Batch<Trade> items) { (void)items; }
#endif
#if !defined(MISS_close)
  void close() {}
#endif
#if defined(MISS_movable_partition)
  Partition() = default;
  Partition(Partition&&) = delete;
#endif
};

struct Sink {
#if defined(MISS_payload_type)
  using event = Trade;
#elif defined(MISS_payload_object)
  using payload_type = Trade&;
#else
  using payload_type = Trade;
#endif
#if !defined(MISS_name)
  std::string name = "ledger";
#endif
#if defined(MISS_router_branch_safe)
  bool router_branch_safe = true;  // not a compile-time constant
#else
  static constexpr bool router_branch_safe = true;
#endif
#if defined(MISS_build_partition)
  Partition build_partition(const nlohmann::json& config, int worker_index, int worker_count);
#elif defined(MISS_movable_partition)
  Partition build_partition(const nlohmann::json&, int, int, sinkkit::AsyncBridge*, void*);
#else
  Partition build_partition(const nlohmann::json&, int, int, sinkkit::AsyncBridge*, void*) { return {}; }
#endif
};

struct Harness {
#if defined(MISS_node_type)
  using sink_type = Sink;
  Sink make_node() { return {}; }
#else
  using node_type = Sink;
#if defined(MISS_make_node)
  std::unique_ptr<Sink> make_node();
#else
  Sink make_node() { return {}; }
#endif
#endif
#if !defined(MISS_make_config)
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"dir", t.dir.string()}}; }
#endif
#if defined(MISS_read_back)
  std::vector<std::string> read_back(const nlohmann::json& config);
#else
  std::vector<Trade> read_back(const nlohmann::json&) { return {}; }
#endif
#if !defined(MISS_make_item)
  Trade make_item(const sinkkit::ItemKey& k) { return {sinkkit::to_string(k), k.seq}; }
#endif
#if defined(MISS_key_of)
  std::string key_of(const Trade& t) { return t.key; }
#else
  sinkkit::ItemKey key_of(const Trade& t) { return sinkkit::parse_item_key(t.key).value_or(sinkkit::ItemKey{}); }
#endif
#if !defined(MISS_capabilities)
  sinkkit::Capabilities capabilities() { return {}; }
#endif
#if defined(MISS_arm_storage_fault)
  void arm_storage_fault(const nlohmann::json& config, int worker, std::int64_t after_items);
#endif
#if defined(MISS_invalid_configs)
  std::vector<nlohmann::json> invalid_configs(const sinkkit::TestTarget& target);
#endif
};

}  // namespace ledger

SINKKIT_CONFORMANCE_SUITE(ledger::Harness);
