// The checks of rule group SK-3.x: closing partitions (idempotence, after failures, durability and resources at close).
// Each is a property over generated workloads and fault plans, run through the
// SinkUnderTest interface and judged by the Oracle; the catalogue's text says
// what each one checks.

#include <rapidcheck.h>

#include <optional>
#include <string>

#include "check_context.hpp"

namespace sinkkit::detail::checks {

namespace {

// --- SK-3: close ---------------------------------------------------------

CheckOutcome sk_3_1(CheckContext& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    FaultPlan repeated;
    repeated.close_calls = *rc::gen::inRange(2, 6);
    auto once = ctx.run_judged(ctx.request(d.workload, {}, d.seed));
    auto many = ctx.run_judged(ctx.request(d.workload, repeated, d.seed));
    if (auto* e = first_event(many.trace, [](const auto& ev) {
          return ev.kind == CallKind::close && ev.call > 0 && ev.outcome != Outcome::ok;
        })) {
      return failure("a repeated close threw: " + e->to_text(), many);
    }
    if (auto diff = first_readback_difference(once.stored.keys, many.stored.keys, true)) {
      return failure("close x1 and close x" + std::to_string(repeated.close_calls) + " read back differently: " + *diff,
                     many);
    }
    return std::nullopt;
  });
}

// A close that threw, but for one in which the storage fault itself fired: a
// buffered sink's flush at close fails then, and must say so.
std::optional<CaseFailure> close_threw(const JudgedRun& j) {
  if (auto* e = first_event(j.trace, [](const auto& ev) {
        return ev.kind == CallKind::close && ev.outcome != Outcome::ok && !ev.storage_fault;
      })) {
    return failure("close threw: " + e->to_text(), j);
  }
  return std::nullopt;
}

CheckOutcome sk_3_2(CheckContext& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    FaultPlan plan;
    // Some partitions idle, or all of them, or a run with no epoch at all.
    const int choice = *rc::gen::inRange(0, 3);
    if (choice == 2) d.workload = Workload::empty(d.workload.workers, d.workload.branches, 0);
    for (int w = 0; w < d.workload.workers; ++w) {
      if (choice == 1 || w % 2 == 0) plan.no_writes.push_back({w, 0});
    }
    return close_threw(ctx.run_judged(ctx.request(d.workload, plan, d.seed)));
  });
}

CheckOutcome sk_3_3(CheckContext& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw_with_failures(ctx);
    // Make sure something fails: the plan's faults, or one more.
    if (d.plan.write_faults.empty() && !d.plan.fail_build_on_worker && !d.plan.abort_after_epoch &&
        d.plan.storage_faults.empty()) {
      const int kind = *rc::gen::inRange(0, 3);
      const int w = *rc::gen::inRange(0, d.workload.workers);
      if (kind == 0) d.plan.write_faults.push_back({w, 0, 0, FaultTiming::after_forwarding});
      if (kind == 1) d.plan.fail_build_on_worker = w;
      if (kind == 2) d.plan.abort_after_epoch = 0;
    }
    return close_threw(ctx.run_judged(ctx.request(d.workload, d.plan, d.seed)));
  });
}

CheckOutcome sk_3_4(CheckContext& ctx) {
  return judged_property(
      ctx, ctx.budget(), ctx.shape(), std::nullopt, [](const JudgedRun& j) -> std::optional<CaseFailure> {
        for (const auto& pv : j.verdict.partitions) {
          if (pv.counts.durable < pv.counts.acknowledged) {
            return failure("after close, " + to_string(pv.partition) + " holds " + std::to_string(pv.counts.durable) +
                               " of its " + std::to_string(pv.counts.acknowledged) +
                               " acknowledged items; first missing: " +
                               (pv.first_lost.empty() ? std::string("?") : to_string(pv.first_lost.front())),
                           j);
          }
        }
        return std::nullopt;
      });
}

CheckOutcome sk_3_5(CheckContext& ctx) {
  return property(ctx, ctx.small_budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw_with_failures(ctx);  // released after a failed run too
    auto target = ctx.fresh_target();
    auto config = ctx.sut().make_config(target->get());
    const auto before = ctx.resource_usage();
    Trace t = ctx.run(config, ctx.request(d.workload, d.plan, d.seed));
    const auto after = ctx.resource_usage();
    if (after.open_fds > before.open_fds || after.threads > before.threads) {
      return failure("after close the process has " + std::to_string(after.open_fds) + " open descriptors and " +
                         std::to_string(after.threads) + " threads, before build it had " +
                         std::to_string(before.open_fds) + " and " + std::to_string(before.threads),
                     t);
    }
    return std::nullopt;
  });
}

CheckOutcome sk_3_6(CheckContext& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    FaultPlan plan;
    plan.write_after_close.push_back({*rc::gen::inRange(0, d.workload.workers), 0});
    auto j = ctx.run_judged(ctx.request(d.workload, plan, d.seed));
    const auto* late = first_event(j.trace, [](const auto& ev) { return ev.after_close; });
    if (late == nullptr || late->sink_outcome != Outcome::ok) return std::nullopt;
    const auto& pv = j.verdict.of(late->partition);
    std::string dropped = pv.counts.lost > 0 ? ", and its items are not stored" : "";
    return failure("write_batch after close returned normally" + dropped + ": " + late->to_text(), j);
  });
}

}  // namespace

void add_close_checks(CheckRegistry& registry) {
  registry.add("SK-3.1", sk_3_1);
  registry.add("SK-3.2", sk_3_2);
  registry.add("SK-3.3", sk_3_3);
  registry.add("SK-3.4", sk_3_4);
  registry.add("SK-3.5", sk_3_5);
  registry.add("SK-3.6", sk_3_6);
}

}  // namespace sinkkit::detail::checks
