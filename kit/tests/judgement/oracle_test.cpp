// Each verdict of the oracle, on hand-made traces.

#include <sinkkit/judgement/oracle.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using namespace sinkkit;

// Builds traces by hand: one partition set, calls appended in order.
class TraceBuilder {
 public:
  TraceBuilder(int workers, int branches) {
    trace_.workload = Workload::empty(workers, branches, 4);
    for (int w = 0; w < workers; ++w)
      for (int b = 0; b < branches; ++b) next_seq_[{w, b}] = 0;
  }
  // A write_batch of `size` items on (w, b) in `epoch`; `ack` says the sink returned.
  TraceBuilder& write(int w, int b, std::int64_t epoch, std::uint32_t size, bool ack = true, bool forwarded = true) {
    TraceEvent e;
    e.index = trace_.events.size();
    e.kind = CallKind::write_batch;
    e.partition = {w, b};
    e.epoch = epoch;
    e.first_seq = next_seq_[{w, b}];
    e.size = size;
    e.forwarded = forwarded;
    e.sink_outcome = e.outcome = ack && forwarded ? Outcome::ok : Outcome::threw;
    next_seq_[{w, b}] += size;
    trace_.events.push_back(e);
    return *this;
  }
  TraceBuilder& close(int w, int b, bool ok = true) {
    TraceEvent e;
    e.index = trace_.events.size();
    e.kind = CallKind::close;
    e.partition = {w, b};
    e.outcome = e.sink_outcome = ok ? Outcome::ok : Outcome::threw;
    trace_.events.push_back(e);
    return *this;
  }
  const Trace& trace() const { return trace_; }

 private:
  Trace trace_;
  std::map<PartitionId, std::int64_t> next_seq_;
};

ItemKey k(int w, int b, std::int64_t e, std::int64_t s) { return ItemKey{w, b, e, s}; }

// Every key of every attempted batch, in trace order: what an ideal sink stores.
std::vector<ItemKey> everything(const Trace& t) {
  std::vector<ItemKey> keys;
  for (const auto& e : t.events)
    if (e.attempted())
      for (std::uint32_t i = 0; i < e.size; ++i) keys.push_back(e.key(i));
  return keys;
}

Capabilities caps(Delivery d = Delivery::exactly_once, Durability u = Durability::on_return, bool ordered = true) {
  Capabilities c;
  c.delivery = d;
  c.durability = u;
  c.ordered_per_partition = ordered;
  return c;
}

TEST(Oracle, AnIdealRunIsCleanAndCounted) {
  TraceBuilder tb(2, 1);
  tb.write(0, 0, 0, 3).write(1, 0, 0, 2).write(0, 0, 1, 4).close(0, 0).close(1, 0);
  auto v = Oracle(caps()).judge(tb.trace(), everything(tb.trace()));
  EXPECT_TRUE(v.clean()) << v.to_text();
  EXPECT_EQ(v.total, (Counts{.attempted = 9, .acknowledged = 9, .durable = 9}));
  EXPECT_EQ(v.of({0, 0}).counts.durable, 7);
  EXPECT_EQ(v.of({1, 0}).counts.durable, 2);
  EXPECT_EQ(v.to_text().substr(0, 15), "verdict: clean\n");
}

TEST(Oracle, LostItemsAreCountedAndTheFirstOnesNamed) {
  TraceBuilder tb(1, 1);
  tb.write(0, 0, 0, 10).close(0, 0);
  auto stored = everything(tb.trace());
  stored.erase(stored.begin() + 2, stored.begin() + 5);  // s2..s4 vanish
  auto v = Oracle(caps()).judge(tb.trace(), stored);
  ASSERT_TRUE(v.has(ViolationKind::lost));
  EXPECT_EQ(v.total.lost, 3);
  EXPECT_EQ(v.total.durable, 7);
  EXPECT_EQ(v.of({0, 0}).first_lost, (std::vector<ItemKey>{k(0, 0, 0, 2), k(0, 0, 0, 3), k(0, 0, 0, 4)}));
  EXPECT_NE(v.to_text().find("lost 3 of 10 acknowledged items; first: w0.b0.e0.s2 w0.b0.e0.s3 w0.b0.e0.s4"),
            std::string::npos)
      << v.to_text();
  // s2..s4 missing while s5 is stored: also a gap.
  EXPECT_TRUE(v.has(ViolationKind::gap));
  EXPECT_EQ(v.of({0, 0}).first_gap, (Gap{k(0, 0, 0, 2), k(0, 0, 0, 5)}));
}

TEST(Oracle, OnCloseDurabilityRequiresOnlyWhatASuccessfulCloseCovers) {
  TraceBuilder tb(2, 1);
  tb.write(0, 0, 0, 4).write(1, 0, 0, 4).close(0, 0).close(1, 0, /*ok=*/false);
  const std::vector<ItemKey> nothing;
  auto on_close = caps(Delivery::exactly_once, Durability::on_close);

  auto before = Oracle(on_close, {.moment = ReadBackMoment::before_close}).judge(tb.trace(), nothing);
  EXPECT_TRUE(before.clean()) << "buffered until close: nothing required yet\n" << before.to_text();

  auto after = Oracle(on_close).judge(tb.trace(), nothing);
  EXPECT_EQ(after.of({0, 0}).counts.lost, 4) << "w0 closed ok: its items were due";
  EXPECT_EQ(after.of({1, 0}).counts.lost, 0) << "w1's close failed: not due";

  auto on_return = Oracle(caps()).judge(tb.trace(), nothing);
  EXPECT_EQ(on_return.total.lost, 8) << "on_return: due whatever close did";
}

TEST(Oracle, DuplicatesViolateOnlyExactlyOnce) {
  TraceBuilder tb(1, 1);
  tb.write(0, 0, 0, 3).write(0, 0, 1, 2).close(0, 0);
  auto stored = everything(tb.trace());
  auto twice = stored;
  twice.insert(twice.end(), stored.begin() + 3, stored.end());  // the last batch flushed again at close
  auto exactly = Oracle(caps()).judge(tb.trace(), twice);
  ASSERT_TRUE(exactly.has(ViolationKind::duplicated));
  EXPECT_EQ(exactly.total.duplicated, 2);
  EXPECT_EQ(exactly.of({0, 0}).first_duplicated.front(), k(0, 0, 1, 3));
  EXPECT_FALSE(exactly.has(ViolationKind::reordered)) << "a repeat is not a reorder";
  auto at_least = Oracle(caps(Delivery::at_least_once)).judge(tb.trace(), twice);
  EXPECT_TRUE(at_least.clean()) << at_least.to_text();
  EXPECT_EQ(at_least.total.duplicated, 2) << "still counted, just not a violation";
}

TEST(Oracle, UnexpectedItemsAreThoseNeverHandedToTheSink) {
  TraceBuilder tb(2, 1);
  tb.write(0, 0, 0, 2).write(0, 0, 1, 2, /*ack=*/false, /*forwarded=*/false).close(0, 0).close(1, 0);
  auto stored = everything(tb.trace());
  stored.push_back(kPoisonKey);           // a sink that kept pointers into the batch
  stored.push_back(k(0, 0, 1, 2));        // injected before forwarding: the sink never saw it
  stored.push_back(k(0, 0, 3, 1));        // right seq, wrong epoch: a corrupted key
  stored.push_back(k(1, 0, 0, 0));        // a worker that wrote nothing
  stored.push_back(k(7, 0, 0, 0));        // no such worker
  auto v = Oracle(caps()).judge(tb.trace(), stored);
  ASSERT_TRUE(v.has(ViolationKind::unexpected));
  EXPECT_EQ(v.total.unexpected, 5);
  EXPECT_EQ(v.of({0, 0}).counts.unexpected, 2);
  EXPECT_EQ(v.of({1, 0}).counts.unexpected, 1);
  EXPECT_EQ(v.first_unexpected.front(), kPoisonKey);
  EXPECT_EQ(v.total.durable, 2);
}

TEST(Oracle, AttemptedButUnacknowledgedItemsMayOrMayNotBeStored) {
  TraceBuilder tb(1, 1);
  tb.write(0, 0, 0, 2).write(0, 0, 0, 3, /*ack=*/false).close(0, 0);
  auto all = everything(tb.trace());
  auto with_partial = std::vector<ItemKey>(all.begin(), all.begin() + 3);  // one item of the failed batch landed
  for (const auto& stored : {all, with_partial, std::vector<ItemKey>(all.begin(), all.begin() + 2)}) {
    auto v = Oracle(caps()).judge(tb.trace(), stored);
    EXPECT_TRUE(v.clean()) << v.to_text();
    EXPECT_EQ(v.total.acknowledged, 2);
    EXPECT_EQ(v.total.attempted, 5);
    EXPECT_EQ(v.total.durable, 2);
  }
}

TEST(Oracle, ReorderingViolatesOnlyOrderedSinksAndNamesTheFirstInversion) {
  TraceBuilder tb(1, 2);
  tb.write(0, 0, 0, 3).write(0, 1, 0, 2).write(0, 0, 1, 2).close(0, 0).close(0, 1);
  std::vector<ItemKey> stored{k(0, 1, 0, 0), k(0, 0, 0, 0), k(0, 0, 0, 2), k(0, 0, 0, 1),
                              k(0, 1, 0, 1), k(0, 0, 1, 3), k(0, 0, 1, 4)};
  auto v = Oracle(caps()).judge(tb.trace(), stored);
  ASSERT_TRUE(v.has(ViolationKind::reordered)) << v.to_text();
  EXPECT_EQ(v.total.reordered, 1) << "interleaving branches is fine; s1 after s2 is not";
  EXPECT_EQ(v.of({0, 0}).first_inversion, (Inversion{k(0, 0, 0, 2), k(0, 0, 0, 1), 3}));
  EXPECT_NE(v.to_text().find("w0.b0.e0.s2 is stored before w0.b0.e0.s1 (read-back index 3)"), std::string::npos)
      << v.to_text();
  auto unordered = Oracle(caps(Delivery::exactly_once, Durability::on_return, false)).judge(tb.trace(), stored);
  EXPECT_TRUE(unordered.clean()) << unordered.to_text();
  EXPECT_EQ(unordered.total.reordered, 1);
}

TEST(Oracle, AGapIsAMissingAcknowledgedItemBeforeADurableOne) {
  // A buffered sink whose flush of batch 1 failed and was dropped, while batch 2 flushed.
  TraceBuilder tb(1, 1);
  tb.write(0, 0, 0, 2).write(0, 0, 1, 3).write(0, 0, 2, 2).close(0, 0, /*ok=*/false);
  std::vector<ItemKey> stored{k(0, 0, 0, 0), k(0, 0, 0, 1), k(0, 0, 2, 5), k(0, 0, 2, 6)};
  // on_close with a failed close: nothing is *required*, yet the hole shows.
  auto v = Oracle(caps(Delivery::exactly_once, Durability::on_close)).judge(tb.trace(), stored);
  EXPECT_EQ(v.total.lost, 0);
  ASSERT_TRUE(v.has(ViolationKind::gap)) << v.to_text();
  EXPECT_EQ(v.total.gaps, 3);
  EXPECT_EQ(v.of({0, 0}).first_gap, (Gap{k(0, 0, 1, 2), k(0, 0, 2, 5)}));
  // A missing tail is not a gap (nothing durable after it).
  std::vector<ItemKey> prefix{k(0, 0, 0, 0), k(0, 0, 0, 1)};
  auto tail = Oracle(caps(Delivery::exactly_once, Durability::on_close)).judge(tb.trace(), prefix);
  EXPECT_TRUE(tail.clean()) << tail.to_text();
}

TEST(Oracle, CapsTheNamedOffendersAndReportsJson) {
  TraceBuilder tb(1, 1);
  tb.write(0, 0, 0, 50).close(0, 0);
  auto v = Oracle(caps(), {.max_offenders = 3}).judge(tb.trace(), {});
  EXPECT_EQ(v.total.lost, 50);
  EXPECT_EQ(v.of({0, 0}).first_lost.size(), 3u);
  auto j = v.to_json();
  EXPECT_FALSE(j["clean"].get<bool>());
  EXPECT_EQ(j["total"]["lost"], 50);
  EXPECT_EQ(j["partitions"][0]["first_lost"], (nlohmann::json{"w0.b0.e0.s0", "w0.b0.e0.s1", "w0.b0.e0.s2"}));
  EXPECT_EQ(j["violations"][0]["kind"], "lost");
}

TEST(Oracle, RejectsATraceOnPartitionsOutsideItsWorkload) {
  TraceBuilder tb(1, 1);
  tb.write(0, 0, 0, 1);
  Trace t = tb.trace();
  t.events[0].partition = {3, 0};
  EXPECT_THROW((void)Oracle(caps()).judge(t, {}), std::invalid_argument);
}

}  // namespace
