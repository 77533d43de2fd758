// The checks of rule group SK-4.x: faults (storage failures, crashes and rescaling).
// Each is a property over generated workloads and fault plans, run through the
// SinkUnderTest interface and judged by the Oracle; the catalogue's text says
// what each one checks.

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

// --- SK-4: faults --------------------------------------------------------

CheckOutcome storage_fault_property(CheckContext& ctx, bool keep_writing) {
  if (!ctx.sut().can_fail_storage()) {
    return untested(
        "the sink cannot be made to fail its storage (a harness: add arm_storage_fault; a sink process: declare "
        "fault_injection and answer the fault op)");
  }
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), FaultMix{.build_failures = false, .write_failures = false});
    const int w = *rc::gen::inRange(0, d.workload.workers);
    const auto after = *rc::gen::inRange<std::int64_t>(0, 120);
    d.plan.storage_faults.push_back({w, 0, after});
    d.plan.keep_writing_after_failure = keep_writing;
    auto j = ctx.run_judged(ctx.request(d.workload, d.plan, d.seed));
    if (auto f = violation(j, ViolationKind::lost)) return f;
    return violation(j, ViolationKind::gap);
  });
}

CheckOutcome sk_4_1(CheckContext& ctx) { return storage_fault_property(ctx, false); }
CheckOutcome sk_4_2(CheckContext& ctx) { return storage_fault_property(ctx, true); }

CheckOutcome sk_4_3(CheckContext& ctx) {
  if (!ctx.caps().survives_crash) return not_applicable("the sink does not declare survives_crash");
  if (ctx.caps().durability != Durability::on_return) {
    return not_applicable("the sink's durability is on_close: nothing is promised before close");
  }
  return property(ctx, ctx.small_budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    const auto kill_after = *rc::gen::inRange<std::int64_t>(0, std::max<std::int64_t>(1, d.workload.total_batches()));
    auto target = ctx.fresh_target();
    auto config = ctx.sut().make_config(target->get());
    auto req = ctx.request(d.workload, {}, d.seed);
    req.simulation.bridge = nullptr;  // the child makes its own
    req.simulation.session_manager = nullptr;
    ctx.announce(req);
    auto crash = ctx.sut().run_and_kill(config, req, kill_after);
    if (!crash) throw std::runtime_error("the sink under test cannot be run in a process of its own");
    // Recovery: a fresh build and close on every worker, then read back.
    auto recovery = ctx.request(Workload::empty(d.workload.workers, 1, 0), {}, 0);
    ctx.run(config, recovery);
    JudgedRun j;
    j.trace = std::move(crash->writes);
    j.stored = ctx.sut().read_back(config);
    JudgeOptions opts;
    j.verdict = Oracle(ctx.caps(), opts).judge(j.trace, j.stored.keys);
    if (auto f = violation(j, ViolationKind::lost)) {
      const auto acked =
          std::ranges::count_if(j.trace.events, [](const TraceEvent& e) { return e.outcome == Outcome::ok; });
      f->message =
          "killed after " + std::to_string(acked) + " acknowledged writes (" + crash->note + "): " + f->message;
      return f;
    }
    if (auto f = violation(j, ViolationKind::unexpected)) return f;
    return corrupted(j);
  });
}

// Both runs of SK-4.4 as one trace for the oracle: partitions are matched by
// (worker, branch), and the second run's seqs start after the first run's.
Trace join_runs(const Trace& a, const Trace& b) {
  Trace m = a;
  m.workload = Workload::empty(std::max(a.workload.workers, b.workload.workers), a.workload.branches,
                               std::max(a.workload.epochs, b.workload.epochs));
  const auto offset = a.events.size();
  for (auto e : b.events) {
    e.index += offset;
    m.events.push_back(std::move(e));
  }
  m.aborted = a.aborted || b.aborted;
  m.abort_reason = a.abort_reason.empty() ? b.abort_reason : a.abort_reason;
  return m;
}

CheckOutcome sk_4_4(CheckContext& ctx) {
  if (!ctx.caps().survives_crash) return not_applicable("the sink does not declare survives_crash");
  return property(ctx, ctx.small_budget(), [&]() -> std::optional<CaseFailure> {
    const bool up = *rc::gen::arbitrary<bool>();
    auto shape = ctx.shape();
    shape.min_workers = shape.max_workers = up ? 2 : 4;
    auto first = draw(shape, std::nullopt);
    shape.min_workers = shape.max_workers = up ? 4 : 2;
    auto second = draw(shape, std::nullopt);
    auto target = ctx.fresh_target();
    auto config = ctx.sut().make_config(target->get());
    Trace t1 = ctx.run(config, ctx.request(first.workload, {}, first.seed));
    auto req2 = ctx.request(second.workload, {}, second.seed);
    std::int64_t max_items = 0;
    for (int w = 0; w < first.workload.workers; ++w) {
      std::int64_t n = 0;
      for (int e = 0; e < first.workload.epochs; ++e)
        for (auto size : first.workload.batches(w, 0, e)) n += size;
      max_items = std::max(max_items, n);
    }
    req2.simulation.start_seq = max_items;
    Trace t2 = ctx.run(config, req2);
    JudgedRun j;
    j.trace = join_runs(t1, t2);
    j.stored = ctx.sut().read_back(config);
    j.verdict = Oracle(ctx.caps()).judge(j.trace, j.stored.keys);
    const std::string what = up ? "rescaled 2 -> 4 workers: " : "rescaled 4 -> 2 workers: ";
    for (auto kind : {ViolationKind::lost, ViolationKind::unexpected, ViolationKind::duplicated}) {
      if (auto f = violation(j, kind)) {
        f->message = what + f->message;
        return f;
      }
    }
    return corrupted(j);
  });
}

}  // namespace

void add_fault_checks(CheckRegistry& registry) {
  registry.add("SK-4.1", sk_4_1);
  registry.add("SK-4.2", sk_4_2);
  registry.add("SK-4.3", sk_4_3);
  registry.add("SK-4.4", sk_4_4);
}

}  // namespace sinkkit::detail::checks
