#include <sinkkit/simulation/trace.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sinkkit_test/recording_sink.hpp>
#include <sinkkit_test/simulate.hpp>

namespace {

using namespace sinkkit;
using sinkkit_test::grid;
using sinkkit_test::RecordingSink;
using sinkkit_test::run;

TEST(Trace, TextNamesEveryCallAndJsonRoundTrips) {
  RecordingSink node;
  FaultPlan plan;
  plan.write_faults = {{0, 0, 1, FaultTiming::after_forwarding}};
  auto trace = run(node, grid(1, 1, 2, {2, 0}), plan, {.seed = 4});
  auto text = trace.to_text();
  EXPECT_NE(text.find("run: deterministic seed=4, 1 worker x 1 branch x 2 epochs, 4 batches, 4 items; faults: "
                      "write_batch #1 on w0.b0 throws after the sink returned; aborted"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("#1 write_batch w0.b0 e0 #0 [s0..s1] 2 items: ok"), std::string::npos) << text;
  EXPECT_NE(text.find("write_batch w0.b0 e0 #1 (empty): FAILED (injected after the sink returned ok)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("close w0.b0 #0: ok"), std::string::npos) << text;
  trace.events[1].sink_ns = 1234;  // a sink process's own time in the call
  auto again = Trace::from_json(trace.to_json());
  EXPECT_EQ(again.to_json().dump(), trace.to_json().dump());
  EXPECT_EQ(again.events[1].sink_ns, 1234);
  EXPECT_EQ(again.events[0].sink_ns, -1) << "unknown unless reported";
  auto bad = trace.to_json();
  bad["schema_version"] = 99;
  EXPECT_THROW(Trace::from_json(bad), std::invalid_argument);
  EXPECT_THROW(Trace::from_json(nlohmann::json{{"schema_version", 1}}), std::invalid_argument);
}

// Found by fuzzing (fuzz/regressions/trace_json): the trace of a case whose
// child died before its run began is empty, and a result holding it must
// read back (its default workload was 1 epoch with no cells: invalid).
TEST(Trace, OfNoRunReadsBack) {
  const Trace none;
  const auto again = Trace::from_json(nlohmann::json::parse(none.to_json().dump()));
  EXPECT_EQ(again.to_json(), none.to_json());
  EXPECT_TRUE(again.events.empty());
}

TEST(Trace, LongTracesElideTheMiddle) {
  RecordingSink node;
  auto trace = run(node, grid(2, 1, 20, {1}));
  auto text = trace.to_text(10);
  EXPECT_NE(text.find("... "), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 12);  // header + 10 events + the elision line
}

}  // namespace
