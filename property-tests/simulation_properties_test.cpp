// The simulator and the oracle together, over generated workloads and fault
// plans: the reference sinks are always judged clean, deterministic runs
// replay exactly, and the oracle does notice damage to a clean read-back.

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <sinkkit/judgement/oracle.hpp>
#include <sinkkit/simulation/generators.hpp>
#include <sinkkit/simulation/simulator.hpp>
#include <sinkkit/sinks/jsonl_file_sink.hpp>
#include <sinkkit/sinks/memory_sink.hpp>
#include <sinkkit_test/events.hpp>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using namespace sinkkit;
using sinkkit_test::Event;

const auto make_item = [](const ItemKey& k) { return sinkkit_test::event_for(k); };

// A fresh directory per run, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() / ("sinkkit-sim-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Judged {
  Trace trace;
  Verdict verdict;
  std::vector<ItemKey> stored;
};

Judged run_memory(const Workload& w, const FaultPlan& plan, SimulatorOptions opts) {
  sinkkit::sinks::MemorySink<Event> node;
  nlohmann::json cfg = {{"target", "t"}};
  auto trace = Simulator(node, cfg, make_item, std::move(opts)).run(w, plan);
  auto stored = sinkkit_test::keys_of(node.read_back(cfg));
  auto verdict = Oracle(node.capabilities()).judge(trace, stored);
  return {std::move(trace), std::move(verdict), std::move(stored)};
}

Judged run_jsonl(const Workload& w, const FaultPlan& plan, SimulatorOptions opts) {
  using Sink = sinkkit::sinks::JsonlFileSink<Event>;
  ScratchDir dir;
  nlohmann::json cfg = {{"dir", dir.path().string()}, {"fsync", "never"}};
  Sink node;
  auto trace = Simulator(node, cfg, make_item, std::move(opts)).run(w, plan);
  auto stored = sinkkit_test::keys_of(Sink::read_back(cfg));
  auto verdict = Oracle(Sink::capabilities(cfg)).judge(trace, stored);
  return {std::move(trace), std::move(verdict), std::move(stored)};
}

// What a clean run of an ideal sink must add up to, beyond "no violation".
void expect_ideal(const Judged& j) {
  RC_ASSERT(j.verdict.clean());
  RC_ASSERT(j.verdict.total.acknowledged == j.trace.acknowledged_items());
  RC_ASSERT(j.verdict.total.durable == j.verdict.total.acknowledged);
  RC_ASSERT(j.verdict.total.duplicated == 0);
  RC_ASSERT(j.verdict.total.unexpected == 0);
}

const WorkloadShape kShape{.max_workers = 6, .branches = 1, .max_epochs = 4, .max_batches_per_epoch = 3,
                           .max_batch_size = 40};

RC_GTEST_PROP(SimulationProperties, MemorySinkIsAlwaysJudgedClean, ()) {
  const auto w = *gen::workload(kShape);
  const auto plan = *gen::fault_plan(w);
  const auto view = *rc::gen::element(PayloadView::exact, PayloadView::subtype);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  auto judged = run_memory(w, plan, {.seed = seed, .view = view});
  RC_LOG() << judged.trace.to_text(40) << judged.verdict.to_text();
  expect_ideal(judged);
}

RC_GTEST_PROP(SimulationProperties, JsonlFileSinkIsAlwaysJudgedCleanWithBranches, ()) {
  auto shape = kShape;
  shape.branches = *rc::gen::inRange(1, 3);
  const auto w = *gen::workload(shape);
  const auto plan = *gen::fault_plan(w);
  auto judged = run_jsonl(w, plan, {.seed = *rc::gen::arbitrary<std::uint64_t>()});
  RC_LOG() << judged.trace.to_text(40) << judged.verdict.to_text();
  expect_ideal(judged);
}

RC_GTEST_PROP(SimulationProperties, DeterministicRunsReplayByteForByte, ()) {
  const auto w = *gen::workload(kShape);
  const auto plan = *gen::fault_plan(w);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  auto a = run_memory(w, plan, {.seed = seed});
  auto b = run_memory(w, plan, {.seed = seed});
  RC_ASSERT(a.trace.to_json().dump() == b.trace.to_json().dump());
  RC_ASSERT(a.stored == b.stored);
}

// The oracle can fail: damage a clean read-back and it must say so.
RC_GTEST_PROP(SimulationProperties, OracleNoticesEveryKindOfDamage, ()) {
  auto w = *gen::workload(kShape);
  // Small generation sizes give empty workloads; damage needs two items.
  if (w.total_items() < 2) w.batches(0, 0, 0).push_back(2);
  auto clean = run_memory(w, {}, {.seed = 1});
  RC_ASSERT(clean.stored.size() >= 2);
  const Oracle oracle(sinkkit::sinks::MemorySink<Event>::capabilities());
  const auto at = *rc::gen::inRange<std::size_t>(0, clean.stored.size());

  auto lost = clean.stored;
  lost.erase(lost.begin() + static_cast<std::ptrdiff_t>(at));
  auto v = oracle.judge(clean.trace, lost);
  RC_ASSERT(v.has(ViolationKind::lost));
  RC_ASSERT(v.total.lost == 1);

  auto duplicated = clean.stored;
  duplicated.push_back(clean.stored[at]);
  RC_ASSERT(oracle.judge(clean.trace, duplicated).total.duplicated == 1);

  auto unexpected = clean.stored;
  unexpected.insert(unexpected.begin() + static_cast<std::ptrdiff_t>(at), kPoisonKey);
  RC_ASSERT(oracle.judge(clean.trace, unexpected).total.unexpected == 1);

  // Swap two items of one partition: a reorder.
  const auto& k = clean.stored[at];
  for (std::size_t j = at + 1; j < clean.stored.size(); ++j) {
    if (clean.stored[j].worker == k.worker && clean.stored[j].branch == k.branch) {
      auto swapped = clean.stored;
      std::swap(swapped[at], swapped[j]);
      RC_ASSERT(oracle.judge(clean.trace, swapped).has(ViolationKind::reordered));
      break;
    }
  }
}

// Thousands of seeded runs with faults (each seed replays alone with
// make_workload/make_fault_plan), on both exact and subtype batches.
TEST(SimulationSweep, MemorySinkIsCleanOverThousandsOfSeededFaultyRuns) {
  for (std::uint64_t seed = 0; seed < 3000; ++seed) {
    auto w = make_workload(kShape, seed);
    auto plan = make_fault_plan(w.workers, w.branches, w.epochs, seed);
    auto judged = run_memory(w, plan, {.seed = seed, .view = seed % 2 ? PayloadView::subtype : PayloadView::exact});
    ASSERT_TRUE(judged.verdict.clean()) << "seed " << seed << "\n" << judged.trace.to_text(60) << judged.verdict.to_text();
    ASSERT_EQ(judged.verdict.total.durable, judged.trace.acknowledged_items()) << "seed " << seed;
  }
}

TEST(SimulationSweep, JsonlFileSinkIsCleanOverManySeededFaultyRuns) {
  auto shape = kShape;
  shape.branches = 2;
  for (std::uint64_t seed = 0; seed < 400; ++seed) {
    auto w = make_workload(shape, seed);
    auto plan = make_fault_plan(w.workers, w.branches, w.epochs, seed);
    auto judged = run_jsonl(w, plan, {.seed = seed});
    ASSERT_TRUE(judged.verdict.clean()) << "seed " << seed << "\n" << judged.trace.to_text(60) << judged.verdict.to_text();
  }
}

// Real concurrency (the TSan build runs these too).
TEST(SimulationSweep, ThreadedRunsOfBothReferenceSinksAreClean) {
  WorkloadShape shape{.min_workers = 2, .max_workers = 8, .branches = 2, .max_epochs = 5, .max_batch_size = 64};
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    auto w = make_workload(shape, seed);
    auto plan = make_fault_plan(w.workers, w.branches, w.epochs, seed);
    SimulatorOptions opts{.mode = ExecutionMode::threaded, .seed = seed};
    auto memory = run_memory(w, plan, opts);
    ASSERT_TRUE(memory.verdict.clean()) << "seed " << seed << "\n" << memory.verdict.to_text();
    auto jsonl = run_jsonl(w, plan, opts);
    ASSERT_TRUE(jsonl.verdict.clean()) << "seed " << seed << "\n" << jsonl.verdict.to_text();
    ASSERT_EQ(memory.verdict.total.acknowledged, memory.trace.acknowledged_items());
  }
}

}  // namespace
