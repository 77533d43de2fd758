// The benchmark results model, the targets and the regression gate, on
// synthetic Google Benchmark files: a real slowdown fails, noise passes.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sinkkit/reports/bench.hpp>

namespace {

using namespace sinkkit::reports;
using nlohmann::json;

// A Google Benchmark file: for each (name, items/s per repetition).
json gbench(const std::vector<std::pair<std::string, std::vector<double>>>& runs, bool aggregates_only = false) {
  json benchmarks = json::array();
  for (const auto& [name, rates] : runs) {
    if (!aggregates_only) {
      for (std::size_t i = 0; i < rates.size(); ++i) {
        benchmarks.push_back({{"name", name}, {"run_name", name}, {"run_type", "iteration"},
                              {"repetitions", rates.size()}, {"repetition_index", i}, {"iterations", 100},
                              {"real_time", 1e9 / rates[i]}, {"time_unit", "ns"}, {"items_per_second", rates[i]},
                              {"batch", 256}, {"workers", 2}});
      }
    }
    std::vector<double> sorted = rates;
    std::sort(sorted.begin(), sorted.end());
    benchmarks.push_back({{"name", name + "_median"}, {"run_name", name}, {"run_type", "aggregate"},
                          {"aggregate_name", "median"}, {"items_per_second", sorted[sorted.size() / 2]},
                          {"real_time", 1e9 / sorted[sorted.size() / 2]}, {"time_unit", "ns"}});
    benchmarks.push_back({{"name", name + "_stddev"}, {"run_name", name}, {"run_type", "aggregate"},
                          {"aggregate_name", "stddev"}, {"items_per_second", (sorted.back() - sorted.front()) / 2},
                          {"time_unit", "ns"}});
  }
  return {{"context", {{"host_name", "synthetic"}}}, {"benchmarks", benchmarks}};
}

Comparison compare(const json& before, const json& after, double limit = 0.10) {
  return compare_bench(bench_results_from_json(before, "before"), bench_results_from_json(after, "after"), limit);
}

TEST(BenchResults, RepetitionsGroupIntoMediansAndNoise) {
  auto r = bench_results_from_json(gbench({{"BM_a", {90, 100, 110}}, {"BM_b", {50}}}), "f.json");
  ASSERT_EQ(r.entries.size(), 2U);
  EXPECT_EQ(r.entries[0].name, "BM_a");
  EXPECT_DOUBLE_EQ(*r.entries[0].median("items_per_second"), 100);
  EXPECT_DOUBLE_EQ(r.entries[0].noise("items_per_second"), 0.10);
  EXPECT_DOUBLE_EQ(r.entries[1].noise("items_per_second"), 0) << "one repetition, no spread";
  // Only aggregates: the median, and the stddev as noise.
  auto agg = bench_results_from_json(gbench({{"BM_a", {90, 100, 110}}}, true), "agg.json");
  ASSERT_EQ(agg.entries.size(), 1U);
  EXPECT_DOUBLE_EQ(*agg.entries[0].median("items_per_second"), 100);
  EXPECT_DOUBLE_EQ(agg.entries[0].noise("items_per_second"), 0.10);
}

TEST(BenchResults, BadFilesAreNamed) {
  try {
    (void)bench_results_from_json(json{{"results", 1}}, "x.json");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("x.json"), std::string::npos);
  }
  EXPECT_THROW((void)read_bench_results("/nonexistent.json"), std::runtime_error);
}

TEST(RegressionGate, ARealSlowdownFailsNamingTheBenchmarkAndTheChange) {
  auto c = compare(gbench({{"BM_a/256", {99, 100, 101}}, {"BM_b", {50, 50, 50}}}),
                   gbench({{"BM_a/256", {74, 75, 76}}, {"BM_b", {50, 51, 49}}}));
  EXPECT_TRUE(c.regressed());
  const auto text = c.regressions_text();
  EXPECT_NE(text.find("BM_a/256: items_per_second 100  -> 75 "), std::string::npos) << text;
  EXPECT_NE(text.find("-25.0%"), std::string::npos) << text;
  EXPECT_EQ(text.find("BM_b"), std::string::npos) << "BM_b did not regress";
}

TEST(RegressionGate, NoiseAndSmallChangesPass) {
  // -5%: inside the 10% limit.
  EXPECT_FALSE(compare(gbench({{"BM_a", {100, 100, 100}}}), gbench({{"BM_a", {95, 95, 95}}})).regressed());
  // -15%, but each run spreads +-10%: not beyond the noise.
  EXPECT_FALSE(compare(gbench({{"BM_a", {90, 100, 110}}}), gbench({{"BM_a", {76.5, 85, 93.5}}})).regressed());
  // The same -15% from quiet runs is a regression.
  EXPECT_TRUE(compare(gbench({{"BM_a", {100, 100, 100}}}), gbench({{"BM_a", {85, 85, 85}}})).regressed());
  // Faster is never a regression.
  EXPECT_FALSE(compare(gbench({{"BM_a", {100}}}), gbench({{"BM_a", {300}}})).regressed());
}

TEST(RegressionGate, MissingBenchmarksAreListed) {
  auto c = compare(gbench({{"BM_a", {100}}, {"BM_gone", {100}}}), gbench({{"BM_a", {100}}}));
  EXPECT_FALSE(c.regressed());
  EXPECT_EQ(c.missing, std::vector<std::string>{"BM_gone"});
}

TEST(RegressionGate, LimitsParse) {
  EXPECT_DOUBLE_EQ(parse_fraction("10%"), 0.10);
  EXPECT_DOUBLE_EQ(parse_fraction("0.25"), 0.25);
  EXPECT_THROW((void)parse_fraction("ten"), std::invalid_argument);
  EXPECT_THROW((void)parse_fraction("150%"), std::invalid_argument);
  EXPECT_THROW((void)parse_fraction("-5%"), std::invalid_argument);
}

TEST(Targets, RatiosToTheSameRunsBaselineAndAbsoluteFloors) {
  auto r = bench_results_from_json(gbench({{"BM_Sim/256", {95}}, {"BM_Loop/256", {100}}, {"BM_Sim/16", {10}},
                                           {"BM_Loop/16", {100}}, {"BM_Oracle", {1e6}}}),
                                   "t.json");
  std::vector<BenchTarget> targets = {
      {.title = "sim", .match = "^BM_Sim/", .baseline_from = "BM_Sim/", .baseline_to = "BM_Loop/", .min_ratio = 0.9},
      {.title = "oracle", .match = "^BM_Oracle$", .min_value = 2e7},
      {.title = "nothing", .match = "^BM_Missing"}};
  auto checks = check_targets(r, targets);
  ASSERT_EQ(checks.size(), 4U);
  EXPECT_TRUE(checks[0].met);
  EXPECT_NEAR(checks[0].value, 0.95, 1e-9);
  EXPECT_FALSE(checks[1].met) << "16: 0.1x";
  EXPECT_FALSE(checks[2].met) << "1 M/s is under the 20 M/s floor";
  EXPECT_FALSE(checks[3].met) << "a target that matches nothing is not silently met";
}

// sinkkit bench's end-to-end throughput against the sink's own, both
// figures of one benchmark.
TEST(Targets, ARatioToAnotherFigureOfTheSameBenchmark) {
  auto file = gbench({{"py/batch:1024/workers:1", {800}}, {"py/batch:1024/workers:2", {500}}});
  for (auto& b : file["benchmarks"]) b["sink_items_per_second"] = 1000.0;
  const auto r = bench_results_from_json(file, "py.json");
  const auto checks = check_targets(r, {{.title = "e2e", .match = "^py/batch:1024/",
                                         .baseline_metric = "sink_items_per_second", .min_ratio = 0.8}});
  ASSERT_EQ(checks.size(), 2U);
  EXPECT_TRUE(checks[0].met);
  EXPECT_NEAR(checks[0].value, 0.8, 1e-9);
  EXPECT_FALSE(checks[1].met) << "0.5 of the sink's own";
  EXPECT_EQ(checks[1].baseline, "py/batch:1024/workers:2 sink_items_per_second");
  EXPECT_THROW((void)read_bench_targets_text(
                   R"({"targets":[{"title":"t","match":"x","baseline":["a","b"],"baseline_metric":"m"}]})", "t.json"),
               std::runtime_error);
}

TEST(BenchReport, ChartsThroughputByBatchPerWorkersAndLatency) {
  json file = gbench({{"sink/batch:16/workers:1", {10}}, {"sink/batch:256/workers:1", {20}},
                      {"sink/batch:16/workers:2", {15}}, {"sink/batch:256/workers:2", {30}}});
  int batch = 16;
  for (auto& b : file["benchmarks"]) {
    const std::string name = b["run_name"];
    b["batch"] = name.find("batch:256") != std::string::npos ? 256 : 16;
    b["workers"] = name.find("workers:2") != std::string::npos ? 2 : 1;
    b["write_p50_ns"] = 1000 * batch;
    b["write_p90_ns"] = 2000;
    b["write_p99_ns"] = 5000;
    b["write_max_ns"] = 9000;
  }
  const auto r = bench_results_from_json(file, "sink <bench>.json");
  const auto html = render_bench_html({r});
  EXPECT_NE(html.find("class=\"chart throughput\""), std::string::npos);
  EXPECT_NE(html.find("data-family=\"sink\" data-lines=\"2\""), std::string::npos) << "a line per worker count";
  EXPECT_NE(html.find("class=\"chart latency\""), std::string::npos);
  EXPECT_NE(html.find("data-rows=\"4\""), std::string::npos);
  EXPECT_EQ(html.find("<bench>"), std::string::npos) << "the file name is escaped";
  EXPECT_EQ(html.find("<script"), std::string::npos);
  const auto md = render_bench_markdown({r});
  EXPECT_NE(md.find("| sink/batch:256/workers:2 |"), std::string::npos) << md;
  EXPECT_NE(md.find("write\\_p99\\_ns"), std::string::npos) << "latency columns";
}

TEST(BenchReport, SaysWhichGridTheRunCameFrom) {
  json file = gbench({{"sink/batch:16/workers:1", {10}}});
  EXPECT_EQ(render_bench_markdown({bench_results_from_json(file, "a.json")}).find("Grid:"), std::string::npos)
      << "no grid said, none shown";
  file["context"]["grid"] = "quick";
  const auto quick = bench_results_from_json(file, "a.json");
  EXPECT_NE(render_bench_markdown({quick}).find("Grid: quick (a few batch sizes and worker counts; SINKKIT\\_BENCH=full "
                                                "runs all of them)"),
            std::string::npos)
      << render_bench_markdown({quick});
  EXPECT_NE(render_bench_html({quick}).find("<p class=\"grid\">Grid: quick"), std::string::npos);
  file["context"]["grid"] = "full";
  EXPECT_NE(render_bench_markdown({bench_results_from_json(file, "a.json")}).find("Grid: full (every batch size"),
            std::string::npos);
}

}  // namespace
