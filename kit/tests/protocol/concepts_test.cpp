#include <sinkkit/protocol/concepts.hpp>

#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sinkkit_test/events.hpp>

namespace {

using sinkkit::AsyncBridge;
using sinkkit::Batch;
using sinkkit::IntoSink;
using sinkkit::SinkPartition;
using sinkkit_test::Event;
using sinkkit_test::TaggedEvent;
using Json = nlohmann::json;

struct GoodPartition {
  void write_batch(Batch<Event>) {}
  void close() {}
};
struct NoClose {
  void write_batch(Batch<Event>) {}
};
struct NoWrite {
  void close() {}
};
struct WritesInts {
  void write_batch(Batch<int>) {}
  void close() {}
};
struct TakesVector {  // only std::vector<Event>: a Batch does not convert to it
  void write_batch(const std::vector<Event>&) {}
  void close() {}
};
struct GenericPartition {  // accepts anything iterable
  template <class B>
  void write_batch(const B&) {}
  void close() {}
};

static_assert(SinkPartition<GoodPartition, Event>);
static_assert(SinkPartition<GenericPartition, Event>);
static_assert(!SinkPartition<NoClose, Event>);
static_assert(!SinkPartition<NoWrite, Event>);
static_assert(!SinkPartition<WritesInts, Event>);
static_assert(!SinkPartition<TakesVector, Event>);
// Contravariance: a partition for Event accepts batches of every subtype...
static_assert(SinkPartition<GoodPartition, TaggedEvent>);
static_assert(SinkPartition<GoodPartition, sinkkit_test::WideEvent>);
// ...but a partition for a subtype does not accept its base.
struct TaggedPartition {
  void write_batch(Batch<TaggedEvent>) {}
  void close() {}
};
static_assert(!SinkPartition<TaggedPartition, Event>);

struct ByValueSink {
  using payload_type = Event;
  std::string name = "by_value";
  static constexpr bool router_branch_safe = true;
  GoodPartition build_partition(const Json&, int, int, AsyncBridge*, void*) { return {}; }
};
struct ByPointerSink {
  using payload_type = Event;
  static constexpr std::string_view name = "by_pointer";
  static constexpr bool router_branch_safe = false;
  std::unique_ptr<GoodPartition> build_partition(const Json&, int, int, AsyncBridge*, void*) {
    return std::make_unique<GoodPartition>();
  }
};
struct ConstBuildSink {
  using payload_type = Event;
  const char* name = "const_build";
  static constexpr bool router_branch_safe = true;
  GoodPartition build_partition(const Json&, int, int, AsyncBridge*, void*) const { return {}; }
};
static_assert(IntoSink<ByValueSink>);
static_assert(IntoSink<ByPointerSink>);
static_assert(IntoSink<ConstBuildSink>);
static_assert(std::is_same_v<sinkkit::payload_of<ByPointerSink>, Event>);
static_assert(std::is_same_v<sinkkit::partition_handle_of<ByPointerSink>, std::unique_ptr<GoodPartition>>);

struct NoPayload {
  std::string name;
  static constexpr bool router_branch_safe = true;
  GoodPartition build_partition(const Json&, int, int, AsyncBridge*, void*) { return {}; }
};
struct RuntimeBranchSafe {  // must be a compile-time constant
  using payload_type = Event;
  std::string name;
  bool router_branch_safe = true;
  GoodPartition build_partition(const Json&, int, int, AsyncBridge*, void*) { return {}; }
};
struct NameIsAFunction {
  using payload_type = Event;
  std::string name() const { return "f"; }
  static constexpr bool router_branch_safe = true;
  GoodPartition build_partition(const Json&, int, int, AsyncBridge*, void*) { return {}; }
};
struct NameIsAnInt {
  using payload_type = Event;
  int name = 1;
  static constexpr bool router_branch_safe = true;
  GoodPartition build_partition(const Json&, int, int, AsyncBridge*, void*) { return {}; }
};
struct BuildsWrongPayload {
  using payload_type = Event;
  std::string name;
  static constexpr bool router_branch_safe = true;
  WritesInts build_partition(const Json&, int, int, AsyncBridge*, void*) { return {}; }
};
struct BuildMissesSessionManager {
  using payload_type = Event;
  std::string name;
  static constexpr bool router_branch_safe = true;
  GoodPartition build_partition(const Json&, int, int, AsyncBridge*) { return {}; }
};
struct BuildsRawPointer {  // ownership unclear: not allowed
  using payload_type = Event;
  std::string name;
  static constexpr bool router_branch_safe = true;
  GoodPartition* build_partition(const Json&, int, int, AsyncBridge*, void*) { return nullptr; }
};
static_assert(!IntoSink<NoPayload>);
static_assert(!IntoSink<RuntimeBranchSafe>);
static_assert(!IntoSink<NameIsAFunction>);
static_assert(!IntoSink<NameIsAnInt>);
static_assert(!IntoSink<BuildsWrongPayload>);
static_assert(!IntoSink<BuildMissesSessionManager>);
static_assert(!IntoSink<BuildsRawPointer>);

// A sink for Event used as the terminal node of a stream of TaggedEvent: the
// runtime's batches convert.
TEST(Concepts, ContravariantNodeAcceptsSubtypeBatchesAtRunTime) {
  struct Counting {
    int* seen;
    void write_batch(Batch<Event> b) {
      for (const Event& e : b) *seen += static_cast<int>(e.value);
    }
    void close() {}
  };
  int seen = 0;
  Counting p{&seen};
  std::vector<TaggedEvent> items(3);
  for (int i = 0; i < 3; ++i) static_cast<Event&>(items[static_cast<std::size_t>(i)]).value = i + 1;
  p.write_batch(items);
  EXPECT_EQ(seen, 6);
}

TEST(Concepts, PartitionOfDereferencesPointerHandles) {
  auto handle = ByPointerSink{}.build_partition(Json::object(), 0, 1, nullptr, nullptr);
  GoodPartition& p = sinkkit::partition_of(handle);
  EXPECT_EQ(&p, handle.get());
  GoodPartition value;
  EXPECT_EQ(&sinkkit::partition_of(value), &value);
}

}  // namespace
