#include <sinkkit/sinks/memory_sink.hpp>

#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sinkkit/protocol/any_partition.hpp>
#include <sinkkit/protocol/concepts.hpp>
#include <sinkkit_test/events.hpp>

namespace {

using nlohmann::json;
using sinkkit::sinks::MemorySink;
using sinkkit_test::Event;
using sinkkit_test::TaggedEvent;

static_assert(sinkkit::IntoSink<MemorySink<Event>>);
static_assert(sinkkit::SinkPartition<MemorySink<Event>::Partition, TaggedEvent>);

std::vector<Event> events(int from, int to) {
  std::vector<Event> out;
  for (int i = from; i < to; ++i) out.push_back(sinkkit_test::make_event(i));
  return out;
}

TEST(MemorySink, ReadBackIsEveryAcknowledgedBatchInOrder) {
  MemorySink<Event> node;
  json cfg = {{"target", "t"}};
  auto p = node.build_partition(cfg, 0, 1, nullptr, nullptr);
  p.write_batch(events(0, 3));
  EXPECT_EQ(node.read_back(cfg), events(0, 3)) << "durable on return, before close";
  p.write_batch(events(3, 5));
  p.close();
  EXPECT_EQ(node.read_back(cfg), events(0, 5));
}

TEST(MemorySink, PartitionsAreOrderedByWorkerInReadBack) {
  MemorySink<Event> node;
  json cfg = json::object();
  auto w1 = node.build_partition(cfg, 1, 2, nullptr, nullptr);
  auto w0 = node.build_partition(cfg, 0, 2, nullptr, nullptr);
  w1.write_batch(events(10, 12));
  w0.write_batch(events(0, 2));
  w1.write_batch(events(12, 13));
  auto expected = events(0, 2);
  auto rest = events(10, 13);
  expected.insert(expected.end(), rest.begin(), rest.end());
  EXPECT_EQ(node.read_back(cfg), expected);
}

TEST(MemorySink, TargetsAreIsolatedAndBranchesGetTheirOwnLog) {
  MemorySink<Event> node;
  json a = {{"target", "a"}}, b = {{"target", "b"}};
  auto pa = node.build_partition(a, 0, 1, nullptr, nullptr);
  auto pa2 = node.build_partition(a, 0, 1, nullptr, nullptr);  // second router branch on worker 0
  auto pb = node.build_partition(b, 0, 1, nullptr, nullptr);
  pa.write_batch(events(0, 1));
  pa2.write_batch(events(1, 2));
  pa.write_batch(events(2, 3));
  pb.write_batch(events(9, 10));
  EXPECT_EQ(node.store()->log_count("a"), 2u);
  EXPECT_EQ(node.read_back(a), (std::vector<Event>{events(0, 1)[0], events(2, 3)[0], events(1, 2)[0]}));
  EXPECT_EQ(node.read_back(b), events(9, 10));
  node.store()->drop("a");
  EXPECT_TRUE(node.read_back(a).empty());
}

TEST(MemorySink, CloseIsIdempotentAndLaterWritesThrow) {
  MemorySink<Event> node;
  auto p = node.build_partition(json::object(), 0, 1, nullptr, nullptr);
  p.close();  // no write before it
  p.close();
  EXPECT_TRUE(p.closed());
  EXPECT_THROW(p.write_batch(events(0, 1)), sinkkit::ClosedError);
  EXPECT_TRUE(node.read_back(json::object()).empty()) << "a rejected write must not land";
}

TEST(MemorySink, StoresThePayloadProjectionOfSubtypes) {
  MemorySink<Event> node;
  auto p = node.build_partition(json::object(), 0, 1, nullptr, nullptr);
  std::vector<TaggedEvent> tagged{sinkkit_test::make_as<TaggedEvent>(1), sinkkit_test::make_as<TaggedEvent>(2)};
  p.write_batch(tagged);
  EXPECT_EQ(node.read_back(json::object()), events(1, 3));
}

TEST(MemorySink, BadConfigsAndWorkerArgumentsAreRejected) {
  MemorySink<Event> node;
  try {
    node.build_partition(json{{"target", 5}}, 0, 1, nullptr, nullptr);
    FAIL() << "a numeric target was accepted";
  } catch (const sinkkit::ConfigError& e) {
    EXPECT_EQ(e.key(), "target");
  }
  try {
    node.build_partition(json{{"tagret", "x"}}, 0, 1, nullptr, nullptr);
    FAIL() << "a misspelt key was accepted";
  } catch (const sinkkit::ConfigError& e) {
    EXPECT_EQ(e.key(), "tagret");
  }
  EXPECT_THROW(node.build_partition(json::object(), 2, 2, nullptr, nullptr), std::invalid_argument);
  EXPECT_EQ(node.store()->log_count("default"), 0u) << "a failed build must not leave a partition behind";
}

TEST(MemorySink, ConcurrentWorkersDoNotInterfere) {
  MemorySink<Event> node;
  constexpr int kWorkers = 8, kBatches = 200, kBatchSize = 16;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      auto p = sinkkit::build_any_partition(node, json::object(), w, kWorkers);
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Event> batch;
        for (int i = 0; i < kBatchSize; ++i) batch.push_back(Event{std::to_string(w), b * kBatchSize + i});
        p.write_batch(batch);
      }
      p.close();
    });
  }
  for (auto& t : threads) t.join();
  auto stored = node.read_back(json::object());
  ASSERT_EQ(stored.size(), static_cast<std::size_t>(kWorkers * kBatches * kBatchSize));
  // Per worker: every item, in order, contiguous (read-back groups by worker).
  for (int w = 0; w < kWorkers; ++w) {
    for (int i = 0; i < kBatches * kBatchSize; ++i) {
      const auto& e = stored[static_cast<std::size_t>(w * kBatches * kBatchSize + i)];
      ASSERT_EQ(e.key, std::to_string(w));
      ASSERT_EQ(e.value, i);
    }
  }
}

}  // namespace
