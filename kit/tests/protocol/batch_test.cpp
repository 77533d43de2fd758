#include <sinkkit/protocol/batch.hpp>

#include <algorithm>
#include <iterator>
#include <numeric>
#include <ranges>
#include <vector>

#include <gtest/gtest.h>
#include <sinkkit_test/events.hpp>

namespace {

using sinkkit::Batch;
using namespace sinkkit_test;

static_assert(std::random_access_iterator<Batch<Event>::iterator>);
static_assert(std::ranges::random_access_range<Batch<Event>>);
static_assert(std::ranges::sized_range<Batch<Event>>);
static_assert(std::is_same_v<std::iter_reference_t<Batch<Event>::iterator>, const Event&>);

// Contravariance: every public, unambiguous subtype converts, without a copy.
static_assert(std::is_convertible_v<const std::vector<Event>&, Batch<Event>>);
static_assert(std::is_convertible_v<const std::vector<TaggedEvent>&, Batch<Event>>);
static_assert(std::is_convertible_v<const std::vector<WideEvent>&, Batch<Event>>);
static_assert(std::is_convertible_v<const std::vector<VirtualEvent>&, Batch<Event>>);
static_assert(std::is_convertible_v<std::span<const TaggedEvent>, Batch<Event>>);
static_assert(std::is_convertible_v<std::span<TaggedEvent>, Batch<Event>>);
static_assert(std::is_convertible_v<Batch<TaggedEvent>, Batch<Event>>);
// ...and nothing else does (compile_fail/ proves the same with a compiler run).
static_assert(!std::is_constructible_v<Batch<Event>, const std::vector<Unrelated>&>);
static_assert(!std::is_constructible_v<Batch<Event>, const std::vector<PrivateEvent>&>);
static_assert(!std::is_constructible_v<Batch<Event>, const std::vector<int>&>);
static_assert(!std::is_constructible_v<Batch<TaggedEvent>, const std::vector<Event>&>);  // not covariant
static_assert(!std::is_constructible_v<Batch<TaggedEvent>, Batch<Event>>);
static_assert(!std::is_constructible_v<Batch<int>, const std::vector<long>&>);

template <class D>
std::vector<D> make_items(int n) {
  std::vector<D> items;
  for (int i = 0; i < n; ++i) items.push_back(make_as<D>(i));
  return items;
}

template <class D>
class BatchOverSubtype : public ::testing::Test {};
using Subtypes = ::testing::Types<Event, TaggedEvent, WideEvent, VirtualEvent>;
TYPED_TEST_SUITE(BatchOverSubtype, Subtypes);

TYPED_TEST(BatchOverSubtype, ViewsEveryItemAsThePayloadWithoutACopy) {
  auto items = make_items<TypeParam>(17);
  Batch<Event> batch(items);
  ASSERT_EQ(batch.size(), items.size());
  ASSERT_FALSE(batch.empty());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Event& expected = items[i];
    EXPECT_EQ(&batch[i], &expected) << "item " << i << " is not the subobject itself";
    EXPECT_EQ(batch[i], expected);
  }
  EXPECT_EQ(batch.stride_bytes(), static_cast<std::ptrdiff_t>(sizeof(TypeParam)));
  EXPECT_EQ(batch.is_contiguous(), sizeof(TypeParam) == sizeof(Event));
}

TYPED_TEST(BatchOverSubtype, IteratesForwardBackwardAndByJumps) {
  auto items = make_items<TypeParam>(9);
  Batch<Event> batch(items);
  std::vector<std::int64_t> forward;
  for (const Event& e : batch) forward.push_back(e.value);
  EXPECT_EQ(forward, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}));

  std::vector<std::int64_t> backward;
  for (auto it = batch.end(); it != batch.begin();) backward.push_back((--it)->value);
  EXPECT_EQ(backward, (std::vector<std::int64_t>{8, 7, 6, 5, 4, 3, 2, 1, 0}));

  auto it = batch.begin() + 5;
  EXPECT_EQ(it->value, 5);
  EXPECT_EQ(it[2].value, 7);
  EXPECT_EQ((it - 3)->value, 2);
  EXPECT_EQ(batch.end() - batch.begin(), 9);
  EXPECT_EQ(std::distance(batch.begin(), it), 5);
  EXPECT_TRUE(batch.begin() < it && it < batch.end());
  EXPECT_EQ(batch.front().value, 0);
  EXPECT_EQ(batch.back().value, 8);
}

TYPED_TEST(BatchOverSubtype, WorksWithStandardAlgorithms) {
  auto items = make_items<TypeParam>(32);
  Batch<Event> batch(items);
  auto found = std::ranges::find_if(batch, [](const Event& e) { return e.key == "k20"; });
  ASSERT_NE(found, batch.end());
  EXPECT_EQ(found - batch.begin(), 20);
  auto sum = std::accumulate(batch.begin(), batch.end(), std::int64_t{0},
                             [](std::int64_t acc, const Event& e) { return acc + e.value; });
  EXPECT_EQ(sum, 31 * 32 / 2);
  EXPECT_TRUE(std::ranges::is_sorted(batch, {}, &Event::value));
  auto copy = batch.to_vector();
  ASSERT_EQ(copy.size(), 32u);
  EXPECT_EQ(copy[31], static_cast<const Event&>(items[31]));
}

TEST(Batch, FromSubtypeBatchKeepsTheRightOffsetAndStride) {
  auto items = make_items<TaggedEvent>(5);
  Batch<TaggedEvent> tagged(items);
  Batch<Event> events = tagged;
  ASSERT_EQ(events.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(&events[i], static_cast<const Event*>(&items[i]));
}

TEST(Batch, NonFirstBaseReallyIsAtANonZeroOffset) {
  // Guards the test's own premise: if this fails, TaggedEvent no longer tests anything.
  TaggedEvent t;
  const Event& e = t;
  EXPECT_NE(static_cast<const void*>(&e), static_cast<const void*>(&t));
}

TEST(Batch, EmptyBatchesFromEverySource) {
  std::vector<TaggedEvent> none;
  Batch<Event> a(none);
  Batch<Event> b;
  Batch<Event> c{std::span<const Event>{}};
  for (const auto& batch : {a, b, c}) {
    EXPECT_TRUE(batch.empty());
    EXPECT_EQ(batch.size(), 0u);
    EXPECT_EQ(batch.begin(), batch.end());
  }
  Batch<Event> from_empty_subbatch = Batch<TaggedEvent>(none);
  EXPECT_TRUE(from_empty_subbatch.empty());
}

TEST(Batch, SpanOfPartOfAVector) {
  auto items = make_items<WideEvent>(10);
  Batch<Event> middle(std::span<const WideEvent>(items).subspan(3, 4));
  ASSERT_EQ(middle.size(), 4u);
  EXPECT_EQ(middle.front().value, 3);
  EXPECT_EQ(middle.back().value, 6);
}

TEST(Batch, ScalarPayloads) {
  std::vector<int> ints{1, 2, 3};
  Batch<int> batch(ints);
  EXPECT_EQ(std::accumulate(batch.begin(), batch.end(), 0), 6);
  EXPECT_TRUE(batch.is_contiguous());
}

}  // namespace
