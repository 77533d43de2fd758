#include <sinkkit/simulation/fault_plan.hpp>
#include <sinkkit/simulation/workload.hpp>

#include <set>
#include <string>
#include <utility>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using sinkkit::FaultPlan;
using sinkkit::Workload;
using sinkkit::WorkloadShape;

TEST(Workload, SameSeedSameWorkloadOtherSeedsDiffer) {
  WorkloadShape shape{.max_workers = 8, .max_epochs = 6, .max_batch_size = 500};
  EXPECT_EQ(sinkkit::make_workload(shape, 1), sinkkit::make_workload(shape, 1));
  std::set<std::string> distinct;
  for (std::uint64_t seed = 0; seed < 20; ++seed) distinct.insert(nlohmann::json(sinkkit::make_workload(shape, seed)).dump());
  EXPECT_GT(distinct.size(), 15u);
}

TEST(Workload, GeneratedWorkloadsStayInsideTheirShape) {
  WorkloadShape shape{.min_workers = 2, .max_workers = 5, .branches = 2, .min_epochs = 1, .max_epochs = 3,
                      .max_batches_per_epoch = 4, .max_batch_size = 10, .empty_batch_percent = 20};
  bool saw_empty = false, saw_idle = false;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    auto w = sinkkit::make_workload(shape, seed);
    ASSERT_NO_THROW(w.validate());
    ASSERT_GE(w.workers, 2);
    ASSERT_LE(w.workers, 5);
    ASSERT_EQ(w.branches, 2);
    ASSERT_LE(w.epochs, 3);
    ASSERT_LE(w.max_batch(), 10u);
    for (const auto& cell : w.cells) {
      ASSERT_LE(cell.size(), 4u);
      saw_idle = saw_idle || cell.empty();
      for (auto size : cell) saw_empty = saw_empty || size == 0;
    }
  }
  EXPECT_TRUE(saw_empty) << "empty batches are rare but must occur";
  EXPECT_TRUE(saw_idle) << "workers with no data in an epoch must occur";
}

TEST(Workload, CountsAndSummary) {
  Workload w = Workload::empty(2, 1, 2);
  w.batches(0, 0, 0) = {3, 0};
  w.batches(1, 0, 1) = {5};
  EXPECT_EQ(w.total_items(), 8);
  EXPECT_EQ(w.total_batches(), 3);
  EXPECT_EQ(w.max_batch(), 5u);
  EXPECT_EQ(w.summary(), "2 workers x 1 branch x 2 epochs, 3 batches, 8 items");
}

TEST(Workload, ValidationNamesTheProblem) {
  auto message = [](auto fn) {
    try {
      fn();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([] { Workload::empty(0, 1, 1); }).find("workers must be in [1, 64], got 0"), std::string::npos);
  EXPECT_NE(message([] { Workload::empty(65, 1, 1); }).find("got 65"), std::string::npos);
  EXPECT_NE(message([] { Workload::empty(1, 0, 1); }).find("branches must be >= 1"), std::string::npos);
  Workload w = Workload::empty(2, 1, 2);
  w.cells.pop_back();
  EXPECT_NE(message([&] { w.validate(); }).find("3 cells for 2 workers x 1 branches x 2 epochs"), std::string::npos);
}

TEST(Workload, JsonRoundTripValidates) {
  auto w = sinkkit::make_workload({}, 9);
  EXPECT_EQ(nlohmann::json(w).get<Workload>(), w);
  auto bad = nlohmann::json(w);
  bad["workers"] = 100;
  EXPECT_THROW((void)bad.get<Workload>(), std::invalid_argument);
}

TEST(FaultPlan, DescribesItselfForCounterexamples) {
  FaultPlan plan;
  EXPECT_TRUE(plan.clean());
  EXPECT_EQ(plan.describe(), "clean");
  plan.fail_build_on_worker = 2;
  plan.write_faults.push_back({1, 0, 3, sinkkit::FaultTiming::after_forwarding});
  plan.close_calls = 3;
  plan.no_writes.push_back({0, 1});
  plan.storage_faults.push_back({1, 1, 40});
  plan.abort_after_epoch = 4;
  EXPECT_FALSE(plan.clean());
  EXPECT_EQ(plan.describe(),
            "build fails on w2; write_batch #3 on w1.b0 throws after the sink returned; run aborts after epoch 4; "
            "close x3; w0.b1 gets no writes; storage of w1.b1 fails after 40 more items");
  EXPECT_EQ(nlohmann::json(plan).get<FaultPlan>(), plan);
}

TEST(FaultPlan, JsonRoundTripsAndRefusesUnknownNames) {
  FaultPlan plan;
  plan.write_faults.push_back({0, 0, 1, sinkkit::FaultTiming::after_forwarding});
  plan.storage_faults.push_back({1, 0, 7, sinkkit::StorageFaultKind::short_write, 28, 2});
  const nlohmann::json j = plan;
  EXPECT_EQ(j.get<FaultPlan>(), plan);
  for (const auto& [path, name] : {std::pair{"/write_faults/0/timing", "later"}, {"/storage_faults/0/kind", "flood"}}) {
    auto bad = j;
    bad[nlohmann::json::json_pointer(path)] = name;
    try {
      (void)bad.get<FaultPlan>();
      ADD_FAILURE() << path << " = " << name << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

TEST(FaultPlan, ValidationRejectsWhatDoesNotFitTheWorkload) {
  FaultPlan plan;
  plan.write_faults.push_back({4, 0, 0, sinkkit::FaultTiming::before_forwarding});
  try {
    plan.validate(4, 1);
    FAIL() << "a fault on worker 4 of 4 was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("w4.b0, outside 4 workers x 1 branches"), std::string::npos) << e.what();
  }
  FaultPlan closes;
  closes.close_calls = 0;
  EXPECT_THROW(closes.validate(1, 1), std::invalid_argument);
  closes.close_calls = 6;
  EXPECT_THROW(closes.validate(1, 1), std::invalid_argument);
  FaultPlan bad_json_timing;
  auto j = nlohmann::json(FaultPlan{.write_faults = {{0, 0, 0, sinkkit::FaultTiming::before_forwarding}}});
  j["write_faults"][0]["timing"] = "sometimes";
  EXPECT_THROW((void)j.get<FaultPlan>(), std::invalid_argument);
}

TEST(FaultPlan, SeededPlansAreReproducibleFitAndCoverEveryKind) {
  sinkkit::FaultMix all{.storage_faults = true};
  EXPECT_EQ(sinkkit::make_fault_plan(4, 2, 3, 5, all), sinkkit::make_fault_plan(4, 2, 3, 5, all));
  int builds = 0, writes = 0, aborts = 0, closes = 0, idle = 0, storage = 0, clean = 0;
  for (std::uint64_t seed = 0; seed < 400; ++seed) {
    auto plan = sinkkit::make_fault_plan(4, 2, 3, seed, all);
    ASSERT_NO_THROW(plan.validate(4, 2));
    builds += plan.fail_build_on_worker.has_value();
    writes += !plan.write_faults.empty();
    aborts += plan.abort_after_epoch.has_value();
    closes += plan.close_calls > 1;
    idle += !plan.no_writes.empty();
    storage += !plan.storage_faults.empty();
    clean += plan.clean();
  }
  for (int n : {builds, writes, aborts, closes, idle, storage, clean}) EXPECT_GT(n, 20);
  auto none = sinkkit::make_fault_plan(4, 2, 3, 1, sinkkit::FaultMix{false, false, false, false, false, false});
  EXPECT_TRUE(none.clean());
}

}  // namespace
