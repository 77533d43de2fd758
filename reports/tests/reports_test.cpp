#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <sinkkit/reports/json_report.hpp>
#include <sinkkit/reports/summary.hpp>
#include <sinkkit_test/sample_results.hpp>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using namespace sinkkit;

SuiteResult sample(std::string sink, RuleStatus status) {
  SuiteResult s;
  s.sink = std::move(sink);
  s.seed = 5;
  s.budget = 100;
  RuleResult a;
  a.id = "SK-2.3";
  a.status = RuleStatus::passed;
  a.cases = 100;
  s.rules = {a, sinkkit_test::close_rule_result(status)};
  return s;
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("sinkkit-reports-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

TEST(JsonReport, WritesAndReadsBack) {
  TempDir dir;
  auto s = sample("memory", RuleStatus::failed);
  auto path = reports::write_json_report(s, dir.path / "nested");
  EXPECT_EQ(path.filename(), "memory.json");
  EXPECT_EQ(reports::read_json_report(path).to_json(), s.to_json());
}

TEST(JsonReport, ASinkNameIsNotAPath) {
  TempDir dir;
  auto path = reports::write_json_report(sample("../../etc/evil", RuleStatus::passed), dir.path);
  EXPECT_EQ(path.parent_path(), dir.path);
}

TEST(JsonReport, BadFilesAreNamed) {
  TempDir dir;
  auto bad = dir.path / "bad.json";
  std::ofstream(bad) << "{\"schema_version\": 1, \"rules\": 3";
  try {
    (void)reports::read_json_report(bad);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos);
  }
  EXPECT_THROW((void)reports::read_json_report(dir.path / "missing.json"), std::runtime_error);
}

TEST(Summary, TabulatesRulesPerSinkAndDetailsFailures) {
  auto text = reports::render_summary({sample("memory", RuleStatus::passed), sample("broken", RuleStatus::failed)});
  EXPECT_NE(text.find("SK-3.1   MUST"), std::string::npos) << text;
  EXPECT_NE(text.find("--- broken: SK-3.1"), std::string::npos) << text;
  EXPECT_NE(text.find("    #0 build w0.b0: ok"), std::string::npos) << text;
  EXPECT_NE(text.find("memory: 2 passed, 0 failed, 0 skipped (conformant)"), std::string::npos) << text;
  EXPECT_NE(text.find("broken: 1 passed, 1 failed, 0 skipped (NOT conformant)"), std::string::npos) << text;
  EXPECT_EQ(reports::combined_exit_code({sample("a", RuleStatus::passed)}), 0);
  EXPECT_EQ(reports::combined_exit_code({sample("a", RuleStatus::passed), sample("b", RuleStatus::failed)}), 1);
}

}  // namespace

namespace {
// A report a kit of schema 1 wrote (the golden sample before schema 2): its
// counterexample was text beside the trace's JSON. It must still be read.
TEST(JsonReport, ReadsSchema1ReportsKeepingTheTrace) {
  const auto run = sinkkit::reports::read_json_report(SINKKIT_GOLDEN_DIR "/sample.schema1.json");
  const sinkkit::RuleResult* lost = nullptr;
  for (const auto& r : run.rules)
    if (r.id == "SK-2.3") lost = &r;
  ASSERT_NE(lost, nullptr);
  EXPECT_EQ(lost->status, sinkkit::RuleStatus::failed);
  ASSERT_TRUE(lost->counterexample.has_value());
  EXPECT_EQ(lost->counterexample->trace.events.size(), 8U);
  EXPECT_FALSE(lost->counterexample->verdict.has_value()) << "schema 1 kept the verdict as text only";
}
}  // namespace
