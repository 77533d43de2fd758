// HarnessSink, which serves a C++ harness to the rules: what it takes from the
// harness as is, what it derives (the read-back's keys and corruption, whether
// storage can fail), and the crash run in a child process.

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <sinkkit/runners/harness.hpp>
#include <sinkkit_test/events.hpp>

namespace {

using namespace sinkkit;
using sinkkit_test::Event;

// A sink that keeps events in memory, per target id; value 13 is stored as 31
// when the config says "garble".
using Memory = std::map<std::string, std::vector<Event>>;

struct MemoryPartition {
  std::shared_ptr<Memory> store;
  std::string id;
  bool garble = false;
  void write_batch(Batch<Event> batch) {
    for (const Event& e : batch) (*store)[id].push_back(garble && e.value == 13 ? Event{e.key, 31} : e);
  }
  void close() {}
};

struct MemoryNode {
  using payload_type = Event;
  std::string name = "store";
  static constexpr bool router_branch_safe = true;
  std::shared_ptr<Memory> store;
  MemoryPartition build_partition(const nlohmann::json& config, int, int, AsyncBridge*, void*) {
    return MemoryPartition{store, config.at("id").get<std::string>(), config.value("garble", false)};
  }
};

struct MemoryHarness {
  using node_type = MemoryNode;
  std::shared_ptr<Memory> store = std::make_shared<Memory>();
  bool garble = false;
  node_type make_node() { return MemoryNode{.store = store}; }
  nlohmann::json make_config(const TestTarget& t) { return {{"id", t.id}, {"garble", garble}}; }
  std::vector<Event> read_back(const nlohmann::json& config) { return (*store)[config.at("id").get<std::string>()]; }
  Event make_item(const ItemKey& k) { return Event{to_string(k), k.seq}; }
  ItemKey key_of(const Event& e) { return parse_item_key(e.key).value_or(ItemKey{-1, -1, -1, -1}); }
  Capabilities capabilities() { return {.durability = Durability::on_close, .max_batch_size = 100}; }
};

// The same, able to fail its storage: it records what it was asked to arm.
struct FaultableHarness : MemoryHarness {
  std::vector<std::pair<PartitionId, std::int64_t>> armed;
  void arm_storage_fault(const nlohmann::json&, PartitionId p, std::int64_t after_items) {
    armed.emplace_back(p, after_items);
  }
};

RunRequest one_epoch(int workers, std::uint32_t items) {
  RunRequest r;
  r.workload = Workload::empty(workers, 1, 1);
  for (auto& cell : r.workload.cells) cell.push_back(items);
  return r;
}

TEST(HarnessSink, ServesWhatTheHarnessDeclares) {
  HarnessSink<MemoryHarness> sut;
  EXPECT_EQ(sut.name(), "store");
  EXPECT_TRUE(sut.router_branch_safe());
  EXPECT_EQ(sut.capabilities().durability, Durability::on_close);
  EXPECT_EQ(sut.capabilities().max_batch_size, 100U);
  EXPECT_EQ(sut.make_config(TestTarget{.dir = "/nowhere", .id = "t7"}),
            (nlohmann::json{{"id", "t7"}, {"garble", false}}));
  EXPECT_FALSE(sut.invalid_configs(TestTarget{}).has_value()) << "no invalid_configs: SK-1.2 is untested";
  EXPECT_TRUE(sut.accepts_subtype_batches()) << "Event is a class that is not final";
}

TEST(HarnessSink, ReadBackGivesTheStoredKeysInStoredOrder) {
  HarnessSink<MemoryHarness> sut;
  const auto config = sut.make_config(TestTarget{.id = "a"});
  const Trace trace = sut.run(config, one_epoch(2, 3));
  std::vector<ItemKey> written;
  for (const auto& ev : trace.events) {
    if (ev.acknowledged()) {
      for (std::uint32_t i = 0; i < ev.size; ++i) written.push_back(ev.key(i));
    }
  }
  const auto stored = sut.read_back(config);
  EXPECT_EQ(stored.keys, written) << "deterministic mode runs the writes in trace order";
  EXPECT_EQ(stored.corrupted, 0);
}

TEST(HarnessSink, AStoredItemThatIsNotTheOneWrittenIsCountedCorrupted) {
  HarnessSink<MemoryHarness> sut(MemoryHarness{.garble = true});
  const auto config = sut.make_config(TestTarget{.id = "g"});
  (void)sut.run(config, one_epoch(1, 20));  // seq 13 is among them
  const auto stored = sut.read_back(config);
  EXPECT_EQ(stored.keys.size(), 20U) << "a corrupted item still counts as stored under its key";
  EXPECT_EQ(stored.corrupted, 1);
  EXPECT_NE(stored.first_corruption.find("differs from the one written"), std::string::npos)
      << stored.first_corruption;
}

TEST(HarnessSink, StorageFaultsReachTheHarnessOnlyWhenItCanArmThem) {
  // Without a hook, from outside: this program carries the interposer, as
  // conformance programs do; a memory sink keeps no files, so none fires.
  HarnessSink<MemoryHarness> outside;
  EXPECT_EQ(outside.storage_fault_mechanism(), StorageFaultMechanism::file_system);
  auto plain = one_epoch(2, 4);
  plain.plan.storage_faults.push_back(StorageFault{.worker = 1, .branch = 0, .after_items = 2});
  const auto trace = outside.run(outside.make_config(TestTarget{.id = "o"}), plain);
  EXPECT_TRUE(std::none_of(trace.events.begin(), trace.events.end(), [](const auto& e) { return e.storage_fault.has_value(); }));
  EXPECT_FALSE(outside.capabilities().fault_injection);
  HarnessSink<FaultableHarness> sut;
  ASSERT_EQ(sut.storage_fault_mechanism(), StorageFaultMechanism::hook);
  EXPECT_TRUE(sut.capabilities().fault_injection) << "reports say the harness's hook made storage fail";
  auto request = one_epoch(2, 4);
  request.plan.storage_faults.push_back(StorageFault{.worker = 1, .branch = 0, .after_items = 2});
  (void)sut.run(sut.make_config(TestTarget{.id = "f"}), request);
  ASSERT_EQ(sut.harness().armed.size(), 1U);
  EXPECT_EQ(sut.harness().armed[0].first, (PartitionId{.worker = 1, .branch = 0}));
  EXPECT_EQ(sut.harness().armed[0].second, 2);
}

// A storage fault armed through the hook shows on the trace where the sink
// failed with a storage error while it was armed: not the sink's own failure.
struct FailingStoreHarness : MemoryHarness {
  struct Node : MemoryNode {
    std::shared_ptr<bool> armed = std::make_shared<bool>(false);
    struct Partition : MemoryPartition {
      std::shared_ptr<bool> armed;
      void write_batch(Batch<Event> batch) {
        if (std::exchange(*armed, false)) throw SinkError("disk full");
        MemoryPartition::write_batch(batch);
      }
    };
    Partition build_partition(const nlohmann::json& config, int w, int n, AsyncBridge* b, void* s) {
      return Partition{MemoryNode::build_partition(config, w, n, b, s), armed};
    }
  };
  using node_type = Node;
  Node node{{.name = "failing", .store = store}};
  node_type make_node() { return node; }
  void arm_storage_fault(const nlohmann::json&, PartitionId, std::int64_t) { *node.armed = true; }
};

TEST(HarnessSink, AHookFaultThatFiresIsMarkedOnTheCallItFailed) {
  HarnessSink<FailingStoreHarness> sut;
  auto request = one_epoch(1, 4);
  request.plan.storage_faults.push_back(StorageFault{.worker = 0, .branch = 0, .after_items = 0});
  const auto trace = sut.run(sut.make_config(TestTarget{.id = "h"}), request);
  const auto failed = std::find_if(trace.events.begin(), trace.events.end(),
                                   [](const TraceEvent& e) { return e.sink_outcome != Outcome::ok; });
  ASSERT_NE(failed, trace.events.end());
  ASSERT_TRUE(failed->storage_fault.has_value()) << failed->to_text();
  EXPECT_TRUE(failed->storage_fault->hook);
  EXPECT_FALSE(failed->sink_failed_on_its_own());
  const auto back = Trace::from_json(trace.to_json());
  const auto& mark = back.events.at(static_cast<std::size_t>(failed - trace.events.begin())).storage_fault;
  ASSERT_TRUE(mark.has_value()) << "the mark survives JSON";
  EXPECT_EQ(*mark, *failed->storage_fault);
}

TEST(HarnessSink, ACrashRunKillsTheChildAfterTheAcknowledgedWritesAsked) {
  HarnessSink<MemoryHarness> sut;
  RunRequest request;
  request.workload = Workload::empty(1, 1, 5);
  for (auto& cell : request.workload.cells) cell.push_back(2);
  const auto crash = sut.run_and_kill(sut.make_config(TestTarget{.id = "k"}), request, 3);
  ASSERT_TRUE(crash.has_value());
  EXPECT_TRUE(crash->killed) << crash->note;
  int acknowledged = 0;
  for (const auto& ev : crash->writes.events) acknowledged += ev.acknowledged() ? 1 : 0;
  EXPECT_EQ(acknowledged, 3);
}

}  // namespace
