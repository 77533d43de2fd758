// The checks of rule group SK-7.x: stateful partitions (Bytewax's
// FixedPartitionedSink) and their recovery, run as Bytewax runs them: each
// epoch's snapshots kept, every worker killed at a generated point, every
// part resumed from the last epoch all of them completed, the epochs after
// it delivered again (SinkUnderTest::run_stateful). Judged by the Oracle on
// the read-back once the input is done.

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <sinkkit/judgement/oracle.hpp>
#include <stdexcept>
#include <string>
#include <utility>

#include "check_context.hpp"

namespace sinkkit::detail::checks {

namespace {

// A stateful run's workload: three epochs or more, so that most crashes
// leave a resume snapshots to start from and epochs to deliver again.
Workload draw_stateful_workload(const CheckContext& ctx) {
  auto shape = ctx.shape();
  shape.branches = 1;
  shape.min_epochs = 3;
  shape.max_epochs = std::max(shape.max_epochs, 5);
  return draw(shape, std::nullopt).workload;
}

// A quarter of the budget, as SK-4.6: a case is one crash and resume, a few
// tens of ms over the wire.
int stateful_budget(const CheckContext& ctx) { return std::max(5, ctx.budget() / 4); }

std::int64_t part_writes_bound(const Workload& w) { return std::max<std::int64_t>(1, w.total_items()); }

struct StatefulCase {
  JudgedRun judged;
  StatefulRun run;
};

// One crash and resume on a fresh target, judged; the failure of a call of
// the stateful protocol fails the case (CaseFailed) with what it said.
StatefulCase crash_and_resume(CheckContext& ctx, const StatefulRequest& request) {
  auto target = ctx.fresh_target();
  const auto config = ctx.sut().make_config(target->get());
  auto run = ctx.run_stateful(config, request);
  if (!run) throw std::runtime_error("the sink under test has no stateful partitions");
  if (run->failed) throw CaseFailed(failure(*run->failed + (run->note.empty() ? "" : " (" + run->note + ")"), run->trace));
  StatefulCase c;
  c.judged.trace = run->trace;
  c.judged.stored = ctx.read_back(config, &c.judged.trace);
  c.judged.verdict = Oracle(ctx.caps()).judge(c.judged.trace, c.judged.stored.keys);
  ctx.count_duplicates(c.judged.trace, c.judged.verdict);
  c.run = std::move(*run);
  return c;
}

std::optional<CaseFailure> with_note(std::optional<CaseFailure> f, const StatefulRun& run) {
  if (f && !run.note.empty()) f->message = run.note + ": " + f->message;
  return f;
}

// SK-7.1: a crash at a generated point, a resume on as many workers.
CheckOutcome sk_7_1(CheckContext& ctx) {
  return property(ctx, stateful_budget(ctx), [&]() -> std::optional<CaseFailure> {
    StatefulRequest request{.workload = draw_stateful_workload(ctx)};
    request.crash_after = *rc::gen::inRange<std::int64_t>(0, part_writes_bound(request.workload));
    const auto c = crash_and_resume(ctx, request);
    if (auto f = violation(c.judged, ViolationKind::lost)) return with_note(std::move(f), c.run);
    return with_note(corrupted(c.judged), c.run);
  });
}

// SK-7.2: the same, judged for duplicates (a sink declaring exactly_once).
CheckOutcome sk_7_2(CheckContext& ctx) {
  return property(ctx, stateful_budget(ctx), [&]() -> std::optional<CaseFailure> {
    StatefulRequest request{.workload = draw_stateful_workload(ctx)};
    request.crash_after = *rc::gen::inRange<std::int64_t>(0, part_writes_bound(request.workload));
    const auto c = crash_and_resume(ctx, request);
    return with_note(violation(c.judged, ViolationKind::duplicated), c.run);
  });
}

// SK-7.3: the resume on another number of workers.
CheckOutcome sk_7_3(CheckContext& ctx) {
  return property(ctx, stateful_budget(ctx), [&]() -> std::optional<CaseFailure> {
    StatefulRequest request{.workload = draw_stateful_workload(ctx)};
    request.crash_after = *rc::gen::inRange<std::int64_t>(0, part_writes_bound(request.workload));
    const int before = request.workload.workers;
    const int after = *rc::gen::suchThat(rc::gen::inRange(1, 5), [before](int n) { return n != before; });
    request.resume_workers = after;
    const auto c = crash_and_resume(ctx, request);
    if (auto f = violation(c.judged, ViolationKind::lost)) return with_note(std::move(f), c.run);
    return with_note(corrupted(c.judged), c.run);
  });
}

// SK-7.4: after the input, each part is built again with another part's snapshot.
CheckOutcome sk_7_4(CheckContext& ctx) {
  int parts = 0, foreign_builds = 0;
  auto outcome = property(ctx, stateful_budget(ctx), [&]() -> std::optional<CaseFailure> {
    const StatefulRequest request{.workload = draw_stateful_workload(ctx), .foreign_snapshots = true};
    auto target = ctx.fresh_target();
    const auto config = ctx.sut().make_config(target->get());
    auto run = ctx.run_stateful(config, request);
    if (!run) throw std::runtime_error("the sink under test has no stateful partitions");
    if (run->failed) return failure(*run->failed, run->trace);
    parts = static_cast<int>(run->parts.size());
    if (!shrinking()) foreign_builds += run->foreign_builds;
    if (run->accepted_foreign.empty()) return std::nullopt;
    std::string which;
    for (const auto& p : run->accepted_foreign) which += (which.empty() ? "" : ", ") + p;
    return failure(run->note + ": a resumed part took a snapshot that is not its own, silently: " + which,
                   run->trace);
  });
  if (outcome.kind == CheckOutcome::held && parts < 2) {
    return not_applicable("the sink has one part: no snapshot of another part to hand it");
  }
  if (outcome.kind == CheckOutcome::held && foreign_builds == 0) {
    return untested("no part had a snapshot (every snapshot() returned None) to hand another part");
  }
  return outcome;
}

}  // namespace

void add_stateful_checks(CheckRegistry& registry) {
  registry.add("SK-7.1", sk_7_1);
  registry.add("SK-7.2", sk_7_2);
  registry.add("SK-7.3", sk_7_3);
  registry.add("SK-7.4", sk_7_4);
}

}  // namespace sinkkit::detail::checks
