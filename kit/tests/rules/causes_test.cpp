// Root causes: failures grouped by the sink failure or finding behind them,
// each named after the rule that checks it most specifically.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sinkkit/results/suite_result.hpp>
#include <sinkkit/rules/causes.hpp>

namespace {

using namespace sinkkit;

// A trace whose last call is `fatal` (build, a write, then it).
Trace trace_ending_in(TraceEvent fatal, std::uint32_t earlier_write = 2) {
  Trace t;
  t.workload = Workload::empty(1, 1, 1);
  TraceEvent build;
  build.kind = CallKind::build;
  t.events.push_back(build);
  if (earlier_write > 0) {
    TraceEvent write;
    write.kind = CallKind::write_batch;
    write.size = earlier_write;
    write.index = 1;
    t.events.push_back(write);
  }
  fatal.index = t.events.size();
  t.events.push_back(fatal);
  return t;
}

TraceEvent threw(CallKind kind, std::uint32_t size, std::int32_t call, std::string message) {
  TraceEvent e;
  e.kind = kind;
  e.size = size;
  e.call = call;
  e.outcome = e.sink_outcome = Outcome::threw;
  e.error_kind = "other";
  e.message = std::move(message);
  return e;
}

RuleResult failed(std::string id, std::optional<Trace> trace, bool incidental, std::string message = "broke") {
  RuleResult r;
  r.id = std::move(id);
  r.status = RuleStatus::failed;
  r.message = std::move(message);
  r.incidental = incidental;
  if (trace) r.counterexample = Counterexample{.trace = *trace, .verdict = Verdict{}};
  return r;
}

TEST(Causes, OneSinkFailureThroughManyRulesIsOneCauseNamedAfterTheRuleAboutIt) {
  // Throws on an empty batch: SK-2.8 finds it, the rest trip over it on the way.
  const auto empty = threw(CallKind::write_batch, 0, 1, "boom at 0x7ffe12 in batch 3");
  const auto other_run = threw(CallKind::write_batch, 0, 4, "boom at 0x5501aa in batch 17");
  const std::vector<RuleResult> rules{failed("SK-2.2", trace_ending_in(empty), true),
                                      failed("SK-2.3", trace_ending_in(other_run, 7), true),
                                      failed("SK-2.8", trace_ending_in(empty), false), RuleResult{.id = "SK-3.1"}};
  const auto causes = find_causes(rules);
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-2.8");
  EXPECT_EQ(causes[0].also, (std::vector<std::string>{"SK-2.2", "SK-2.3"}));
  EXPECT_EQ(causes[0].summary, "write_batch of an empty batch threw other: boom at 0x7ffe12 in batch 3");
  EXPECT_EQ(causes[0].to_text(),
            "write_batch of an empty batch threw other: boom at 0x7ffe12 in batch 3 (SK-2.8); also fails SK-2.2, SK-2.3");
}

TEST(Causes, TwoBugsAreTwoCausesInTheCatalogueOrderOfTheirRules) {
  const std::vector<RuleResult> rules{
      failed("SK-2.3", trace_ending_in(threw(CallKind::close, 0, 1, "closed twice")), true),
      failed("SK-2.8", trace_ending_in(threw(CallKind::write_batch, 0, 0, "empty")), false),
      failed("SK-3.1", trace_ending_in(threw(CallKind::close, 0, 1, "closed twice")), false)};
  const auto causes = find_causes(rules);
  ASSERT_EQ(causes.size(), 2U);
  EXPECT_EQ(causes[0].rule, "SK-2.8");
  EXPECT_TRUE(causes[0].also.empty());
  EXPECT_EQ(causes[1].rule, "SK-3.1") << "a repeated close is SK-3.1's subject";
  EXPECT_EQ(causes[1].also, (std::vector<std::string>{"SK-2.3"}));
}

// An oracle finding found by several rules (`closes`: the counterexample's
// close calls on its one partition).
RuleResult with_finding(std::string id, ViolationKind kind, int closes = 1) {
  Verdict v;
  v.violations.push_back({kind, "found it"});
  auto r = failed(std::move(id), std::nullopt, false, "found it");
  Trace t = trace_ending_in(TraceEvent{.kind = CallKind::close});
  for (int c = 1; c < closes; ++c) t.events.push_back(TraceEvent{.index = t.events.size(), .kind = CallKind::close, .call = c});
  r.counterexample = Counterexample{.trace = t, .verdict = v};
  return r;
}

TEST(Causes, AnOracleFindingIsNamedAfterTheRuleAboutIt) {
  auto causes = find_causes({with_finding("SK-2.2", ViolationKind::reordered), with_finding("SK-2.6", ViolationKind::reordered)});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-2.2") << "order is SK-2.2's subject, though SK-2.6 is narrower";
  // Duplicates after a repeated close are the close's.
  causes = find_causes({with_finding("SK-2.5", ViolationKind::duplicated, 2), with_finding("SK-3.1", ViolationKind::duplicated, 2)});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-3.1");
  causes = find_causes({with_finding("SK-2.5", ViolationKind::duplicated), with_finding("SK-2.11", ViolationKind::duplicated)});
  EXPECT_EQ(causes[0].rule, "SK-2.5");
}

TEST(Causes, AFindingOfItsOwnOutranksOneOnTheWayAndNarrowOutranksGeneral) {
  const auto refused = threw(CallKind::write_batch, 3, 0, "refused");
  // SK-2.6 found the refused batch itself; SK-2.3 and SK-2.9 tripped over it.
  auto causes = find_causes({failed("SK-2.3", trace_ending_in(refused), true),
                             failed("SK-2.6", trace_ending_in(refused, 9), false),
                             failed("SK-2.9", trace_ending_in(refused), true)});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-2.6");
  EXPECT_EQ(causes[0].also, (std::vector<std::string>{"SK-2.3", "SK-2.9"}));
  // All on the way: the narrower rule over the general one.
  causes = find_causes({failed("SK-2.3", trace_ending_in(refused), true), failed("SK-2.9", trace_ending_in(refused, 9), true)});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-2.9");
}

TEST(Causes, CrashesGroupByHowTheCheckEnded) {
  auto crash = [](std::string id, std::string sig) {
    return failed(std::move(id), std::nullopt, true,
                  "the check's process killed by signal " + sig +
                      ": the sink crashed or hung while this rule was checked; the case running was: x");
  };
  const auto causes = find_causes({crash("SK-2.2", "11 (SIGSEGV)"), crash("SK-2.8", "11 (SIGSEGV)"),
                                   crash("SK-3.1", "6 (SIGABRT)")});
  ASSERT_EQ(causes.size(), 2U);
  // No trace says which call died: the narrower rule names it.
  EXPECT_EQ(causes[0].rule, "SK-2.8");
  EXPECT_EQ(causes[0].also, (std::vector<std::string>{"SK-2.2"}));
  EXPECT_EQ(causes[0].summary, "the sink killed by signal 11 (SIGSEGV)");
  EXPECT_EQ(causes[1].rule, "SK-3.1");
}

TEST(Causes, AShrunkCrashIsNamedLikeAFailedCall) {
  // An isolated case's child died in close of a partition that got no write.
  auto crashed = threw(CallKind::close, 0, 0, "killed by signal 11 (SIGSEGV)");
  crashed.error_kind = "crashed";
  const auto idle = trace_ending_in(crashed, 0);
  const auto causes = find_causes({failed("SK-2.2", idle, true), failed("SK-3.1", idle, true),
                                   failed("SK-3.2", idle, true), failed("SK-2.3", trace_ending_in(crashed), true)});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-3.2") << "a close that crashed on a partition with no write is SK-3.2's subject";
  EXPECT_EQ(causes[0].summary, "close of w0.b0 crashed (killed by signal 11 (SIGSEGV))");
  EXPECT_EQ(causes[0].also, (std::vector<std::string>{"SK-2.2", "SK-2.3", "SK-3.1"}));
}

TEST(Causes, ALossOfALonePartitionThatClosedCleanlyIsTheClosesOwn) {
  // One partition, no fault, close returned, items gone: close did not keep them (SK-3.4).
  auto causes = find_causes({with_finding("SK-2.3", ViolationKind::lost), with_finding("SK-3.4", ViolationKind::lost)});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-3.4");
  // Across partitions the loss may be their meeting in storage: SK-2.3's.
  auto across = [](std::string id) {
    auto r = with_finding(std::move(id), ViolationKind::lost);
    r.counterexample->trace.workload = Workload::empty(2, 1, 1);
    return r;
  };
  causes = find_causes({across("SK-2.3"), across("SK-3.4")});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-2.3");
}

// A loss after the storage failed in the first write (`then_writes`: more
// writes after it); `acknowledged`: the failing write returned normally.
RuleResult lost_after_storage_failure(std::string id, int then_writes, bool acknowledged = false) {
  auto r = with_finding(std::move(id), ViolationKind::lost);
  auto& events = r.counterexample->trace.events;
  events.assign(1, TraceEvent{.kind = CallKind::build});
  TraceEvent failed_write{.index = 1, .kind = CallKind::write_batch, .size = 2};
  failed_write.storage_fault = FiredStorageFault{.call = "write", .path = "part", .error = 5};
  if (!acknowledged) failed_write.outcome = failed_write.sink_outcome = Outcome::threw;
  events.push_back(failed_write);
  for (int i = 0; i < then_writes; ++i) {
    events.push_back(TraceEvent{.index = events.size(), .kind = CallKind::write_batch, .size = 1});
  }
  events.push_back(TraceEvent{.index = events.size(), .kind = CallKind::close});
  return r;
}

TEST(Causes, ALossAfterAStorageFailureIsNamedAfterWhatTheRunDidNext) {
  // Wrote on after the failure: SK-4.2's subject, though SK-4.1 found it too.
  auto causes = find_causes({lost_after_storage_failure("SK-4.1", 0), lost_after_storage_failure("SK-4.2", 1)});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-4.2");
  // SK-4.2's counterexample has no write after the failure: it is SK-4.1's case.
  causes = find_causes({lost_after_storage_failure("SK-4.1", 0, false), lost_after_storage_failure("SK-4.2", 0)});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-4.1");
  // The failing write returned normally: storage errors acknowledged, SK-4.5's subject.
  causes = find_causes({lost_after_storage_failure("SK-4.1", 0, true), lost_after_storage_failure("SK-4.5", 0, true)});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-4.5");
}

TEST(Causes, ALossWithACloseWorkStillOnTheBridgeIsSk61s) {
  // close hands its flush to the bridge and returns: the read-back misses the
  // items (SK-2.3, SK-3.4, ...) and SK-6.1 sees the work left. One cause.
  auto left_work = [](RuleResult r) {
    r.counterexample->trace.events.back().bridge_in_flight = 1;
    return r;
  };
  auto bridge = failed("SK-6.1", trace_ending_in(TraceEvent{.kind = CallKind::close}), false,
                       "1 bridge tasks still queued or running when #2 close w0.b0 #0: ok returned");
  bridge.counterexample->trace.events.back().bridge_in_flight = 1;
  auto causes = find_causes({left_work(with_finding("SK-2.3", ViolationKind::lost)),
                             left_work(with_finding("SK-3.4", ViolationKind::lost)), bridge});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-6.1");
  EXPECT_EQ(causes[0].summary, "1 bridge tasks still queued or running when #2 close w0.b0 #0: ok returned");
  EXPECT_EQ(causes[0].also, (std::vector<std::string>{"SK-2.3", "SK-3.4"}));
  // Without work left at close, a loss is not the bridge's.
  causes = find_causes({with_finding("SK-2.3", ViolationKind::lost), bridge});
  EXPECT_EQ(causes.size(), 2U);
  // A reorder with work left is still the reorder's.
  causes = find_causes({left_work(with_finding("SK-2.2", ViolationKind::reordered)), bridge});
  EXPECT_EQ(causes.size(), 2U);
}

TEST(Causes, TheKitsBatchPoisonInTheReadBackIsSk27s) {
  // A sink that keeps pointers into batches stores the poison the kit wrote
  // over them: lost and unexpected items in every rule, one cause, SK-2.7's.
  auto poisoned = [](std::string id, std::string message) {
    auto r = with_finding(std::move(id), ViolationKind::unexpected);
    r.message = std::move(message);
    r.counterexample->verdict->violations.push_back({ViolationKind::lost, "lost"});
    r.counterexample->verdict->first_unexpected.push_back(kPoisonKey);
    return r;
  };
  const auto causes =
      find_causes({poisoned("SK-2.3", "lost 1 of 1"), poisoned("SK-2.4", "1 unexpected"),
                   poisoned("SK-2.7", "1 stored items are the kit's poison"), with_finding("SK-2.2", ViolationKind::reordered)});
  ASSERT_EQ(causes.size(), 2U);
  EXPECT_EQ(causes[0].rule, "SK-2.2");
  EXPECT_EQ(causes[1].rule, "SK-2.7");
  EXPECT_EQ(causes[1].summary, "1 stored items are the kit's poison");
  EXPECT_EQ(causes[1].also, (std::vector<std::string>{"SK-2.3", "SK-2.4"}));
}

TEST(Causes, ACorruptStoreIsOneCauseWhateverItsMessagesSay) {
  // A torn record the sink's own reader cannot parse, found by four rules
  // with different numbers in the reader's error: one cause. After a storage
  // fault it is SK-4.1's ("no record is torn"), with none SK-2.4's.
  auto corrupt = [](std::string id, std::string message, bool after_fault) {
    auto r = with_finding(std::move(id), ViolationKind::corrupted);
    r.message = std::move(message);
    if (after_fault) {
      r.counterexample->trace.events.front().storage_fault = FiredStorageFault{.call = "write", .path = "p", .error = 5};
    }
    return r;
  };
  auto causes = find_causes({corrupt("SK-4.2", "the read-back failed: (line 2 column 1 (char 76))", true),
                             corrupt("SK-4.1", "the read-back failed: (line 7 column 1 (char 301))", true),
                             corrupt("SK-6.1", "the read-back failed: (line 1 column 86 (char 85))", true)});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-4.1");
  EXPECT_EQ(causes[0].also, (std::vector<std::string>{"SK-4.2", "SK-6.1"}));
  // With the oracle's losses beside it, still the corruption's.
  auto with_loss = corrupt("SK-2.3", "3 stored items differ", false);
  with_loss.counterexample->verdict->violations.push_back({ViolationKind::lost, "lost 2 of 5"});
  causes = find_causes({with_loss, corrupt("SK-2.4", "3 stored items differ", false)});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-2.4");
}

TEST(Causes, AFailedCallsSignatureIsItsKindShapeAndErrorClass) {
  // Two runs of one hang: whatever limit each hung past, one signature.
  auto hung = [](std::string message) {
    auto e = threw(CallKind::close, 0, 1, std::move(message));
    e.error_kind = "hung";
    return trace_ending_in(e);
  };
  const auto a = failure_signature(hung("did not answer within 10000 ms (hung?)"));
  const auto b = failure_signature(hung("did not answer within 1000 ms (hung?) (the limit: a call hung earlier)"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  // The first close hanging is another call than a repeated one.
  auto first = threw(CallKind::close, 0, 0, "x");
  first.error_kind = "hung";
  EXPECT_NE(failure_signature(trace_ending_in(first)), a);
  // Other errors keep their message's first line, numbers masked; the rest
  // (a sink process's stderr) is not compared.
  EXPECT_EQ(failure_signature(trace_ending_in(threw(CallKind::write_batch, 3, 2, "EIO at 17\nTraceback 1"))),
            failure_signature(trace_ending_in(threw(CallKind::write_batch, 9, 0, "EIO at 4\nTraceback 2"))));
  EXPECT_NE(failure_signature(trace_ending_in(threw(CallKind::write_batch, 3, 2, "EIO"))),
            failure_signature(trace_ending_in(threw(CallKind::write_batch, 0, 2, "EIO"))));  // an empty batch
  // A trace whose calls all returned has none.
  EXPECT_FALSE(failure_signature(trace_ending_in(TraceEvent{.kind = CallKind::close})));
}

TEST(Causes, FewerFaultsShowTheBugMoreSimply) {
  // Lost after a kill (SK-4.3) and after a plain second run (SK-4.4): the restart's.
  auto killed = with_finding("SK-4.3", ViolationKind::lost);
  killed.counterexample->trace.events.back().error_kind = "killed";
  auto rerun = with_finding("SK-4.4", ViolationKind::lost);
  rerun.counterexample->trace.events.push_back(TraceEvent{.index = 9, .kind = CallKind::build});
  const auto causes = find_causes({killed, rerun});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-4.4") << "the larger counterexample, but with no kill";
}

TEST(Causes, TheComparingRuleJoinsTheFirstCauseOrStandsAlone) {
  const auto differs = failed("SK-2.11", trace_ending_in(TraceEvent{.kind = CallKind::close}), false,
                              "split batches and their concatenation read back differently: ...");
  auto alone = differs;
  alone.counterexample.reset();
  auto causes = find_causes({with_finding("SK-2.2", ViolationKind::reordered), alone});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-2.2");
  EXPECT_EQ(causes[0].also, (std::vector<std::string>{"SK-2.11"}));
  causes = find_causes({alone});
  ASSERT_EQ(causes.size(), 1U);
  EXPECT_EQ(causes[0].rule, "SK-2.11");
}

TEST(Causes, PassedAndSkippedRulesHaveNone) {
  EXPECT_TRUE(find_causes({RuleResult{.id = "SK-2.3"}, RuleResult{.id = "SK-4.3", .status = RuleStatus::untested}})
                  .empty());
}

TEST(Causes, NumbersAreMaskedForComparison) {
  EXPECT_EQ(detail::mask_numbers("lost 4 of 9; first: w1.b0.e12.s0 at 0xdeadBEEF"),
            "lost # of #; first: w#.b#.e#.s# at 0x#");
}

TEST(Causes, RoundTripThroughTheSuiteResult) {
  SuiteResult run;
  run.sink = "s";
  run.causes.push_back(Cause{.rule = "SK-2.8", .summary = "boom", .also = {"SK-2.2"}});
  const auto back = SuiteResult::from_json(run.to_json());
  ASSERT_EQ(back.causes.size(), 1U);
  EXPECT_EQ(back.causes[0].to_text(), "boom (SK-2.8); also fails SK-2.2");
  auto j = run.to_json();
  j["causes"] = 3;
  EXPECT_THROW((void)SuiteResult::from_json(j), std::invalid_argument);
}

}  // namespace

// A soak keeps one cause per bug over its rounds: the same bug found at
// another seed, with other numbers, has the same key; another bug does not.
TEST(Causes, OneBugFoundAgainWithOtherNumbersHasTheSameKey) {
  const auto key_of = [](const std::string& message) {
    sinkkit::RuleResult r{.id = "SK-3.5", .status = sinkkit::RuleStatus::warning, .message = message};
    const auto causes = sinkkit::find_causes({r});
    return causes.empty() ? std::string("(none)") : causes.front().key;
  };
  EXPECT_FALSE(key_of("3 descriptors left open after close").empty());
  EXPECT_EQ(key_of("3 descriptors left open after close"), key_of("12 descriptors left open after close"));
  EXPECT_NE(key_of("3 descriptors left open after close"), key_of("a thread left running after close"));
}
