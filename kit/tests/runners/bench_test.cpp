// A benchmark run's time leaves out the kit's making of the items between
// the builds and the first write, and nothing else.

#include <gtest/gtest.h>
#include <sinkkit/runners/bench.hpp>

namespace {

using namespace sinkkit;

TraceEvent event(CallKind kind, std::int64_t start, std::int64_t end) {
  TraceEvent e;
  e.kind = kind;
  e.start = start;
  e.end = end;
  return e;
}

TEST(BenchRunTime, LeavesOutTheGapBetweenTheBuildsAndTheData) {
  Trace t;
  // Two workers' builds (10..40), items made until 1000, writes and closes to 1500.
  t.events = {event(CallKind::build, 10, 30), event(CallKind::build, 15, 40), event(CallKind::write_batch, 1000, 1200),
              event(CallKind::write_batch, 1010, 1400), event(CallKind::close, 1400, 1500)};
  EXPECT_EQ(detail::run_time_without_making_items(t), 30 + 500);
}

TEST(BenchRunTime, WithoutAGapIsFirstEventToLast) {
  Trace t;
  t.events = {event(CallKind::build, 10, 300), event(CallKind::write_batch, 200, 400)};
  EXPECT_EQ(detail::run_time_without_making_items(t), 390) << "data before the last build ended";
  t.events = {event(CallKind::build, 10, 300)};
  EXPECT_EQ(detail::run_time_without_making_items(t), 290) << "builds only";
  t.events = {event(CallKind::write_batch, 50, 80), event(CallKind::close, 80, 90)};
  EXPECT_EQ(detail::run_time_without_making_items(t), 40) << "no build";
  EXPECT_EQ(detail::run_time_without_making_items(Trace{}), 0);
}

}  // namespace
