#include <sinkkit/simulation/simulator.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <sinkkit_test/events.hpp>
#include <sinkkit_test/recording_sink.hpp>
#include <sinkkit_test/simulate.hpp>

namespace {

using namespace sinkkit;
using sinkkit_test::Event;
using sinkkit_test::RecordingSink;

using sinkkit_test::grid;
using sinkkit_test::make_item;
using sinkkit_test::run;

// The runtime model, checked from the sink's side for both modes, and for the
// threaded one with its schedule perturbed (SK-2.10's): the same calls.
struct Mode {
  ExecutionMode mode;
  bool perturbed = false;
};
class SimulatorModel : public ::testing::TestWithParam<Mode> {
 protected:
  static SimulatorOptions in_mode(SimulatorOptions o) {
    o.mode = GetParam().mode;
    o.perturb_schedule = GetParam().perturbed;
    return o;
  }
};
INSTANTIATE_TEST_SUITE_P(Modes, SimulatorModel,
                         ::testing::Values(Mode{ExecutionMode::deterministic}, Mode{ExecutionMode::threaded},
                                           Mode{ExecutionMode::threaded, true}),
                         [](const auto& param_info) {
                           return std::string(to_string(param_info.param.mode)) +
                                  (param_info.param.perturbed ? "_perturbed" : "");
                         });

TEST_P(SimulatorModel, BuildsOncePerWorkerAndBranchBeforeAnyData) {
  RecordingSink node;
  int session = 0;
  SimulatorOptions opts = in_mode({.seed = 3, .session_manager = &session});
  auto trace = run(node, grid(4, 2, 3, {2, 1}), {}, opts);
  auto builds = node.recorder->of("build");
  ASSERT_EQ(builds.size(), 8u);
  std::map<int, int> per_worker;
  for (const auto& b : builds) {
    ++per_worker[b.worker_index];
    EXPECT_EQ(b.worker_count, 4);
    EXPECT_EQ(b.session, &session);
    EXPECT_FALSE(b.bridge);
  }
  EXPECT_EQ(per_worker, (std::map<int, int>{{0, 2}, {1, 2}, {2, 2}, {3, 2}}));
  std::uint64_t last_build_end = 0;
  for (const auto& b : builds) last_build_end = std::max(last_build_end, b.end);
  for (const auto& w : node.recorder->of("write_batch")) EXPECT_GT(w.start, last_build_end);
  EXPECT_FALSE(trace.aborted);
}

TEST_P(SimulatorModel, EveryWriteOfAnEpochEndsBeforeAnyWriteOfTheNextStarts) {
  RecordingSink node;
  auto w = sinkkit::make_workload({.min_workers = 4, .max_workers = 8, .min_epochs = 4, .max_epochs = 6,
                                   .max_batches_per_epoch = 3, .max_batch_size = 8},
                                  11);
  run(node, w, {}, in_mode({.seed = 11}));
  auto writes = node.recorder->of("write_batch");
  ASSERT_FALSE(writes.empty());
  std::map<std::int64_t, std::pair<std::uint64_t, std::uint64_t>> span;  // epoch -> (first start, last end)
  for (const auto& c : writes) {
    if (c.keys.empty()) continue;
    auto e = c.keys.front().epoch;
    auto [it, fresh] = span.try_emplace(e, c.start, c.end);
    if (!fresh) it->second = {std::min(it->second.first, c.start), std::max(it->second.second, c.end)};
  }
  for (auto it = span.begin(); std::next(it) != span.end(); ++it) {
    EXPECT_LT(it->second.second, std::next(it)->second.first) << "epoch " << it->first << " overlaps the next";
  }
}

TEST_P(SimulatorModel, DeliversEveryKeyOnceInSeqOrderPerPartition) {
  RecordingSink node;
  auto w = grid(3, 2, 4, {3, 0, 2});
  auto trace = run(node, w, {}, in_mode({.seed = 5}));
  std::map<std::pair<int, int>, std::int64_t> next_seq;
  std::set<ItemKey> seen;
  std::int64_t n = 0, empty_calls = 0;
  // Per partition, order of delivery is the sink's recorded order for that partition.
  std::map<int, std::vector<ItemKey>> by_partition;
  for (const auto& c : node.recorder->of("write_batch")) {
    empty_calls += c.keys.empty();
    for (const auto& k : c.keys) by_partition[c.partition].push_back(k);
  }
  for (const auto& [partition, keys] : by_partition) {
    for (const auto& k : keys) {
      auto& expect = next_seq[{k.worker, k.branch}];
      EXPECT_EQ(k.seq, expect) << to_string(k);
      expect = k.seq + 1;
      EXPECT_TRUE(seen.insert(k).second) << "delivered twice: " << to_string(k);
      ++n;
    }
  }
  EXPECT_EQ(n, w.total_items());
  EXPECT_EQ(empty_calls, 3 * 2 * 4) << "empty batches are delivered, not skipped";
  EXPECT_EQ(trace.acknowledged_items(), w.total_items());
}

TEST_P(SimulatorModel, ClosesEveryPartitionAlsoWithoutWrites) {
  RecordingSink node;
  FaultPlan plan;
  plan.no_writes = {{1, 0}};
  plan.close_calls = 3;
  auto trace = run(node, grid(2, 1, 2, {1}), plan, in_mode({}));
  auto closes = node.recorder->of("close");
  ASSERT_EQ(closes.size(), 6u);
  for (const auto& w : node.recorder->of("write_batch")) EXPECT_NE(w.worker_index, 1);
  EXPECT_EQ(trace.calls(CallKind::close, {1, 0}).size(), 3u);
  EXPECT_EQ(trace.calls(CallKind::write_batch, {1, 0}).size(), 0u);
}

TEST_P(SimulatorModel, AFailedWriteAbortsTheRunAndClosesEveryBuiltPartition) {
  RecordingSink node;
  FaultPlan plan;
  plan.write_faults = {{0, 0, 1, FaultTiming::before_forwarding}};
  auto trace = run(node, grid(3, 1, 4, {2}), plan, in_mode({.seed = 1}));
  EXPECT_TRUE(trace.aborted);
  EXPECT_NE(trace.abort_reason.find("write_batch #1 on w0.b0 failed"), std::string::npos) << trace.abort_reason;
  EXPECT_EQ(node.recorder->of("close").size(), 3u);
  auto w0 = trace.calls(CallKind::write_batch, {0, 0});
  ASSERT_EQ(w0.size(), 2u) << "no write on the failing partition after the failure";
  EXPECT_FALSE(w0[1]->forwarded);
  EXPECT_FALSE(w0[1]->attempted());
  // Nothing of a later epoch starts anywhere once the run aborted.
  std::int64_t max_epoch = 0;
  for (const auto& e : trace.events)
    if (e.kind == CallKind::write_batch) max_epoch = std::max(max_epoch, e.epoch);
  EXPECT_LE(max_epoch, 1);
}

TEST_P(SimulatorModel, AbortAfterEpochStopsBeforeTheNextEpoch) {
  RecordingSink node;
  FaultPlan plan;
  plan.abort_after_epoch = 1;
  auto trace = run(node, grid(3, 1, 5, {1}), plan, in_mode({}));
  EXPECT_TRUE(trace.aborted);
  for (const auto& c : node.recorder->of("write_batch")) EXPECT_LE(c.keys.front().epoch, 1);
  EXPECT_EQ(node.recorder->of("write_batch").size(), 6u);
  EXPECT_EQ(node.recorder->of("close").size(), 3u);
}

TEST_P(SimulatorModel, BuildFailureAbortsAndClosesOnlyWhatWasBuilt) {
  RecordingSink node;
  node.recorder->throw_on_build_worker = 2;
  auto trace = run(node, grid(4, 1, 2, {1}), {}, in_mode({.seed = 9}));
  EXPECT_TRUE(trace.aborted);
  EXPECT_TRUE(node.recorder->of("write_batch").empty());
  EXPECT_EQ(node.recorder->of("close").size(), node.recorder->of("build").size());
  auto failed = trace.calls(CallKind::build, {2, 0});
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]->error_kind, "config");
  EXPECT_NE(failed[0]->message.find("'dsn'"), std::string::npos);
}

TEST_P(SimulatorModel, AfterForwardingFaultsAreAcknowledgedButFailTheRun) {
  RecordingSink node;
  FaultPlan plan;
  plan.write_faults = {{1, 0, 0, FaultTiming::after_forwarding}};
  auto trace = run(node, grid(2, 1, 2, {4}), plan, in_mode({}));
  auto call = trace.calls(CallKind::write_batch, {1, 0}).at(0);
  EXPECT_TRUE(call->acknowledged()) << "the sink returned: its items are acknowledged";
  EXPECT_TRUE(call->injected);
  EXPECT_EQ(call->outcome, Outcome::threw);
  EXPECT_TRUE(trace.aborted);
}

TEST_P(SimulatorModel, SubtypeViewHandsOverTheSameItemsWithALargerStride) {
  RecordingSink node;
  auto trace = run(node, grid(2, 1, 1, {5}), {}, in_mode({.view = PayloadView::subtype}));
  auto writes = node.recorder->of("write_batch");
  ASSERT_EQ(writes.size(), 2u);
  for (const auto& c : writes) {
    EXPECT_EQ(c.stride, static_cast<std::ptrdiff_t>(sizeof(SubtypeOf<Event>)));
    EXPECT_GT(c.stride, static_cast<std::ptrdiff_t>(sizeof(Event)));
    ASSERT_EQ(c.keys.size(), 5u);
    EXPECT_EQ(c.keys[4].seq, 4);
  }
  SubtypeOf<Event> probe(Event{"x", 1});
  EXPECT_NE(static_cast<const void*>(static_cast<const Event*>(&probe)), static_cast<const void*>(&probe));
}

// A partition that keeps a pointer into the batch sees it overwritten.
struct KeepsPointer {
  std::vector<std::string>* seen;
  const Event* kept = nullptr;
  void write_batch(Batch<Event> b) {
    if (kept) seen->push_back(kept->key);
    kept = &b[0];
  }
  void close() {
    if (kept) seen->push_back(kept->key);
  }
};
struct KeepsPointerNode {
  using payload_type = Event;
  std::string name = "keeps_pointer";
  static constexpr bool router_branch_safe = false;
  std::vector<std::string>* seen;
  KeepsPointer build_partition(const nlohmann::json&, int, int, AsyncBridge*, void*) { return {seen}; }
};

TEST(Simulator, PoisonsBatchMemoryAfterEachCall) {
  std::vector<std::string> seen;
  KeepsPointerNode node{.seen = &seen};
  run(node, grid(1, 1, 2, {3}));
  ASSERT_EQ(seen.size(), 2u);
  // Each batch's memory lives until the run ends, poisoned: a kept pointer
  // reads poison at the next call and after the last one, never the item it
  // kept, never another batch's item, never freed memory (ASan would stop
  // the run in the sink instead of SK-2.7 naming it).
  EXPECT_EQ(seen[0], to_string(kPoisonKey));
  EXPECT_EQ(seen[1], to_string(kPoisonKey));

  std::vector<std::string> unpoisoned;
  KeepsPointerNode plain{.seen = &unpoisoned};
  run(plain, grid(1, 1, 1, {3}), {}, {.poison_batches = false});
  ASSERT_EQ(unpoisoned.size(), 1u);
  EXPECT_EQ(unpoisoned[0], "w0.b0.e0.s0") << "control: without poisoning the stale pointer still reads the item";
}

TEST(Simulator, RecordsWhatTheSinkThrewByKind) {
  for (auto [mode, kind, fragment] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"config", "config", "'table'"},
           {"sink", "write", "disk full"},
           {"runtime", "other", "boom"},
           {"int", "other", "not derived from std::exception"}}) {
    RecordingSink node;
    node.recorder->throw_on_write = mode;
    auto trace = run(node, grid(1, 1, 1, {1}));
    auto call = trace.calls(CallKind::write_batch, {0, 0}).at(0);
    EXPECT_EQ(call->error_kind, kind) << mode;
    EXPECT_NE(call->message.find(fragment), std::string::npos) << call->message;
    EXPECT_TRUE(call->attempted());
    EXPECT_FALSE(call->acknowledged());
    EXPECT_TRUE(trace.aborted);
  }
}

TEST(Simulator, ArmsStorageFaultsRightAfterTheirPartitionIsBuilt) {
  RecordingSink node;
  std::vector<std::pair<PartitionId, std::int64_t>> armed;
  FaultPlan plan;
  plan.storage_faults = {{1, 0, 7}};
  SimulatorOptions opts;
  opts.arm_storage_fault = [&](PartitionId p, std::int64_t after) {
    armed.emplace_back(p, after);
    EXPECT_TRUE(node.recorder->of("write_batch").empty()) << "armed before any data";
  };
  run(node, grid(2, 1, 1, {1}), plan, opts);
  ASSERT_EQ(armed.size(), 1u);
  EXPECT_EQ(armed[0].first, (PartitionId{1, 0}));
  EXPECT_EQ(armed[0].second, 7);
  EXPECT_THROW(run(node, grid(2, 1, 1, {1}), plan), std::invalid_argument) << "storage faults need the hook";
}

struct SingleBranchNode {
  using payload_type = Event;
  const char* name = "single";
  static constexpr bool router_branch_safe = false;
  sinkkit_test::RecordingPartition build_partition(const nlohmann::json&, int, int, AsyncBridge*, void*) {
    return {nullptr, 0, 0};
  }
};

TEST(Simulator, RejectsBranchesOnANodeThatIsNotRouterBranchSafe) {
  SingleBranchNode node;
  try {
    run(node, grid(1, 2, 1, {1}));
    FAIL() << "branches on a non-branch-safe node were accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'single' is not router_branch_safe"), std::string::npos) << e.what();
  }
}

TEST(Simulator, SameSeedSameTraceByteForByte) {
  auto w = sinkkit::make_workload({.min_workers = 3, .max_workers = 6, .branches = 2, .max_epochs = 5}, 77);
  auto plan = sinkkit::make_fault_plan(w.workers, w.branches, w.epochs, 77);
  auto once = [&](std::uint64_t seed) {
    RecordingSink node;
    return run(node, w, plan, {.seed = seed});
  };
  auto a = once(77), b = once(77), c = once(78);
  EXPECT_EQ(a.to_json().dump(), b.to_json().dump());
  EXPECT_EQ(a.to_text(), b.to_text());
  EXPECT_NE(a.to_json().dump(), c.to_json().dump()) << "another seed, another interleaving";
}

TEST(Simulator, ThreadedModeRunsWorkersOnTheirOwnThreads) {
  RecordingSink node;
  run(node, grid(4, 2, 3, {2}), {}, {.mode = ExecutionMode::threaded});
  std::map<int, std::set<std::thread::id>> threads_of_worker;
  std::set<std::thread::id> all;
  for (const auto& c : node.recorder->calls) {
    threads_of_worker[c.worker_index].insert(c.thread);
    all.insert(c.thread);
  }
  for (const auto& [worker, ids] : threads_of_worker) EXPECT_EQ(ids.size(), 1u) << "worker " << worker;
  EXPECT_EQ(all.size(), 4u);
  EXPECT_EQ(all.count(std::this_thread::get_id()), 0u);
}

}  // namespace

// Items made ahead (the benchmarks' mode) change when items are made, never
// which: same trace, same keys delivered in the same order, for both views,
// with faults (a write failed before forwarding still uses up its call).
TEST(Simulator, ItemsMadeAheadDeliverExactlyWhatItemsMadePerCallDo) {
  std::size_t compared = 0;
  for (auto view : {PayloadView::exact, PayloadView::subtype}) {
    for (std::uint64_t seed : {3, 11, 29}) {
      auto w = sinkkit::make_workload({.min_workers = 2, .max_workers = 4, .branches = 2, .max_epochs = 4}, seed);
      auto plan = sinkkit::make_fault_plan(w.workers, w.branches, w.epochs, seed);
      plan.storage_faults.clear();
      plan.keep_writing_after_failure = true;
      RecordingSink per_call, ahead;
      auto a = run(per_call, w, plan, {.seed = seed, .view = view});
      auto b = run(ahead, w, plan, {.seed = seed, .view = view, .items_made_ahead = true});
      EXPECT_EQ(a.to_text(), b.to_text()) << "seed " << seed;
      std::vector<std::vector<ItemKey>> ka, kb;
      for (const auto& c : per_call.recorder->of("write_batch")) ka.push_back(c.keys);
      for (const auto& c : ahead.recorder->of("write_batch")) kb.push_back(c.keys);
      EXPECT_EQ(ka, kb) << "seed " << seed;
      compared += ka.size();
    }
  }
  EXPECT_GT(compared, 20U) << "the plans must leave writes to compare";
}
