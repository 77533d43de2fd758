// Isolated cases (CheckOptions::isolate_cases): a sink that crashes or hangs
// ends its case's child, not the check; the case fails with the calls up to
// the fatal one and is shrunk like any other. The runner checks a rule again
// that way when its check died of an in-process sink.

#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/rules/check.hpp>
#include <sinkkit/runners/harness.hpp>
#include <sinkkit/runners/suite.hpp>
#include <sinkkit_test/events.hpp>

#include "simulation/call_journal.hpp"

namespace {

using namespace sinkkit;
using sinkkit_test::Event;

using Memory = std::map<std::string, std::vector<Event>>;

enum class Flaw { none, crashes_on_empty_batch, hangs_in_repeated_close };

struct FlawedPartition {
  std::shared_ptr<Memory> store;
  std::string id;
  Flaw flaw = Flaw::none;
  int closes = 0;
  void write_batch(Batch<Event> batch) {
    if (batch.empty() && flaw == Flaw::crashes_on_empty_batch) std::raise(SIGSEGV);
    for (const Event& e : batch) (*store)[id].push_back(e);
  }
  void close() {
    if (++closes > 1 && flaw == Flaw::hangs_in_repeated_close) {
      for (;;) ::pause();
    }
  }
};

struct FlawedNode {
  using payload_type = Event;
  std::string name = "flawed";
  static constexpr bool router_branch_safe = true;
  std::shared_ptr<Memory> store;
  Flaw flaw = Flaw::none;
  FlawedPartition build_partition(const nlohmann::json& config, int, int, AsyncBridge*, void*) {
    return FlawedPartition{store, config.at("id").get<std::string>(), flaw};
  }
};

template <Flaw kFlaw>
struct FlawedHarness {
  using node_type = FlawedNode;
  std::shared_ptr<Memory> store = std::make_shared<Memory>();
  node_type make_node() { return FlawedNode{.store = store, .flaw = kFlaw}; }
  // The target's folder: unique to the check, where its id is unique to the case.
  nlohmann::json make_config(const TestTarget& t) { return {{"id", t.dir.string()}}; }
  std::vector<Event> read_back(const nlohmann::json& config) { return (*store)[config.at("id").get<std::string>()]; }
  Event make_item(const ItemKey& k) { return Event{to_string(k), k.seq}; }
  ItemKey key_of(const Event& e) { return parse_item_key(e.key).value_or(ItemKey{-1, -1, -1, -1}); }
  Capabilities capabilities() { return {.durability = Durability::on_return}; }
};

CheckOptions isolated(std::uint64_t seed, int budget) {
  CheckOptions o;
  o.seed = seed;
  o.budget = budget;
  o.isolate_cases = true;
  return o;
}

TEST(IsolatedCases, ACrashFailsTheCaseShrunkToTheFatalCall) {
  HarnessSink<FlawedHarness<Flaw::crashes_on_empty_batch>> sut;
  const auto r = check_rule(rule("SK-2.8"), sut, isolated(7, 15));
  ASSERT_TRUE(r.broken()) << r.to_text();
  ASSERT_TRUE(r.counterexample) << r.to_text();
  const auto& events = r.counterexample->trace.events;
  ASSERT_FALSE(events.empty());
  EXPECT_LE(events.size(), 3U) << r.to_text();
  const auto& fatal = events.back();
  EXPECT_EQ(fatal.kind, CallKind::write_batch) << r.to_text();
  EXPECT_EQ(fatal.size, 0U) << r.to_text();
  EXPECT_EQ(fatal.error_kind, "crashed") << r.to_text();
  EXPECT_TRUE(fatal.sink_failed_on_its_own());
  EXPECT_NE(r.message.find("the sink crashed"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("empty batch"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("killed by signal 11 (SIGSEGV)"), std::string::npos) << r.message;
  // The same seed, the same minimal case: a replay reproduces it.
  const auto again = check_rule(rule("SK-2.8"), sut, isolated(7, 15));
  EXPECT_EQ(again.counterexample->trace.to_json(), r.counterexample->trace.to_json());
}

TEST(IsolatedCases, AHungCallFailsTheCaseAndIsKilled) {
  HarnessSink<FlawedHarness<Flaw::hangs_in_repeated_close>> sut;
  auto options = isolated(3, 5);
  options.call_timeout = std::chrono::milliseconds(1500);
  const auto r = check_rule(rule("SK-3.1"), sut, options);
  ASSERT_EQ(r.status, RuleStatus::failed) << r.to_text();
  ASSERT_TRUE(r.counterexample) << r.to_text();
  const auto& fatal = r.counterexample->trace.events.back();
  EXPECT_EQ(fatal.kind, CallKind::close) << r.to_text();
  EXPECT_EQ(fatal.call, 1) << r.to_text();
  EXPECT_EQ(fatal.error_kind, "hung") << r.to_text();
  EXPECT_NE(r.message.find("the sink hung in close #1"), std::string::npos) << r.message;
}

TEST(IsolatedCases, ASoundSinkGetsTheSameVerdictAsWithout) {
  HarnessSink<FlawedHarness<Flaw::none>> sut;
  for (const char* id : {"SK-2.3", "SK-3.1", "SK-2.11"}) {
    CheckOptions plain;
    plain.seed = 11;
    plain.budget = 10;
    const auto with = check_rule(rule(id), sut, isolated(11, 10));
    const auto without = check_rule(rule(id), sut, plain);
    EXPECT_EQ(to_string(without.status), "passed") << without.to_text();
    EXPECT_EQ(to_string(with.status), "passed") << with.to_text();
    EXPECT_EQ(with.cases, without.cases) << id;
  }
}

TEST(IsolatedCases, TheRunnerChecksACheckThatDiedAgainCaseByCase) {
  HarnessSink<FlawedHarness<Flaw::crashes_on_empty_batch>> sut;
  SuiteOptions options;
  options.check.seed = 7;
  options.check.budget = 30;
  const auto r = run_rule(rule("SK-2.8"), sut, options);
  ASSERT_TRUE(r.broken()) << r.to_text();
  ASSERT_TRUE(r.counterexample) << "the crash was not shrunk:\n" << r.to_text();
  EXPECT_EQ(r.counterexample->trace.events.back().error_kind, "crashed") << r.to_text();
  EXPECT_NE(r.message.find("the sink crashed"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("SIGSEGV"), std::string::npos) << r.message;
#if defined(__SANITIZE_ADDRESS__)  // the first crash printed a report; a plain build, nothing
  EXPECT_NE(r.output.find("before shrinking"), std::string::npos) << "the first crash's output is kept:\n" << r.output;
#endif
}

TEST(CallJournal, TheTraceSoFarEndsInTheCallsInFlight) {
  detail::CallJournal journal;
  Trace header;
  header.workload = Workload::empty(1, 1, 1);
  TraceEvent build;
  build.index = 0;
  TraceEvent write;
  write.index = 1;
  write.kind = CallKind::write_batch;
  write.epoch = 0;
  write.size = 2;
  EXPECT_TRUE(journal.take("R " + header.to_json().dump()));
  EXPECT_TRUE(journal.take("B " + detail::trace_event_to_json(build).dump()));
  EXPECT_TRUE(journal.take("E " + detail::trace_event_to_json(build).dump()));
  EXPECT_FALSE(journal.call_in_flight());
  EXPECT_TRUE(journal.take("B " + detail::trace_event_to_json(write).dump()));
  EXPECT_FALSE(journal.take("E {\"index\": 1, \"ki"));  // torn by the death
  EXPECT_FALSE(journal.take("the sink's own output"));
  ASSERT_TRUE(journal.call_in_flight());
  const auto t = journal.trace_so_far("crashed", "killed by signal 11 (SIGSEGV)");
  ASSERT_EQ(t.events.size(), 2U);
  EXPECT_EQ(t.events[0].outcome, Outcome::ok);
  EXPECT_EQ(t.events[1].kind, CallKind::write_batch);
  EXPECT_EQ(t.events[1].error_kind, "crashed");
  EXPECT_EQ(t.events[1].message, "killed by signal 11 (SIGSEGV)");
  EXPECT_TRUE(t.aborted);
}

}  // namespace
