#include <sinkkit/protocol/any_partition.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sinkkit_test/events.hpp>

namespace {

using sinkkit::AnyPartition;
using sinkkit::Batch;
using sinkkit_test::Event;
using sinkkit_test::TaggedEvent;

struct Log {
  std::vector<std::string> calls;
};

struct Recording {
  Log* log;
  void write_batch(Batch<Event> b) {
    std::string keys;
    for (const Event& e : b) keys += e.key;
    log->calls.push_back("write:" + keys);
  }
  void close() { log->calls.push_back("close"); }
};

struct MoveOnlyRecording {
  std::unique_ptr<Log> owned = std::make_unique<Log>();
  Log* log;
  void write_batch(Batch<Event> b) { log->calls.push_back("write:" + std::to_string(b.size())); }
  void close() { log->calls.push_back("close"); }
};

TEST(AnyPartition, ForwardsWritesAndClosesInOrder) {
  Log log;
  AnyPartition<Event> p(Recording{&log});
  std::vector<Event> a{{"a", 1}, {"b", 2}};
  std::vector<TaggedEvent> t(1);
  static_cast<Event&>(t[0]).key = "t";
  p.write_batch(a);
  p.write_batch(t);  // a subtype batch through the erased interface
  p.close();
  p.close();  // repeats are forwarded, not swallowed: the kit judges them
  EXPECT_EQ(log.calls, (std::vector<std::string>{"write:ab", "write:t", "close", "close"}));
}

TEST(AnyPartition, OwnsPointerHandlesAndMoveOnlyPartitions) {
  Log log;
  auto ptr = std::make_unique<Recording>(Recording{&log});
  AnyPartition<Event> p(std::move(ptr));
  p.write_batch(std::vector<Event>{{"x", 0}});
  AnyPartition<Event> moved = std::move(p);
  moved.close();
  EXPECT_EQ(log.calls, (std::vector<std::string>{"write:x", "close"}));

  Log log2;
  MoveOnlyRecording m{std::make_unique<Log>(), &log2};
  AnyPartition<Event> q(std::move(m));
  q.write_batch(std::vector<Event>(3));
  EXPECT_EQ(log2.calls, (std::vector<std::string>{"write:3"}));
}

TEST(AnyPartition, EmptyHolderThrowsLogicErrorNamingTheProblem) {
  AnyPartition<Event> empty;
  EXPECT_FALSE(empty);
  try {
    empty.close();
    FAIL() << "close on an empty AnyPartition did not throw";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("no partition held"), std::string::npos) << e.what();
  }
  Log log;
  AnyPartition<Event> full(Recording{&log});
  AnyPartition<Event> other = std::move(full);
  EXPECT_TRUE(other);
  EXPECT_FALSE(full);  // NOLINT(bugprone-use-after-move): moved-from state is the point
}

struct Node {
  using payload_type = Event;
  std::string name = "node";
  static constexpr bool router_branch_safe = true;
  Log* log;
  Recording build_partition(const nlohmann::json& config, int wi, int wc, sinkkit::AsyncBridge* bridge,
                            void* session) {
    log->calls.push_back(config.dump() + " " + std::to_string(wi) + "/" + std::to_string(wc) + " bridge=" +
                         (bridge ? "yes" : "no") + " session=" + (session ? "yes" : "no"));
    return Recording{log};
  }
};

TEST(AnyPartition, BuildAnyPartitionPassesEveryArgumentThrough) {
  Log log;
  Node node{.log = &log};
  int session = 0;
  auto p = sinkkit::build_any_partition(node, {{"k", 1}}, 2, 4, nullptr, &session);
  p.close();
  EXPECT_EQ(log.calls, (std::vector<std::string>{R"({"k":1} 2/4 bridge=no session=yes)", "close"}));
}

}  // namespace
