// The checks of rule group SK-5.x and SK-6.x: router branches and the runtime resources a sink borrows (bridge,
// sessions). Each is a property over generated workloads and fault plans, run through the SinkUnderTest interface and
// judged by the Oracle; the catalogue's text says what each one checks.

#include <rapidcheck.h>

#include <algorithm>
#include <optional>
#include <string>

#include "check_context.hpp"

namespace sinkkit::detail::checks {

namespace {

// --- SK-5: router branches -----------------------------------------------

CheckOutcome sk_5_1(CheckContext& ctx) {
  auto shape = ctx.shape();
  shape.max_workers = std::min(shape.max_workers, 3);
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto s = shape;
    s.branches = *rc::gen::inRange(2, 4);
    auto d = draw(s, std::nullopt);
    return first_violation_or_corruption(ctx.run_judged(ctx.request(d.workload, {}, d.seed)));
  });
}

// --- SK-6: runtime resources ---------------------------------------------

CheckOutcome sk_6_1(CheckContext& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw_with_failures(ctx);  // a close after a failure waits for its work too
    auto j = ctx.run_judged(ctx.request(d.workload, d.plan, d.seed));
    std::optional<std::string> problem;
    // In process the trace has the kit's bridge's count after each close
    // (TraceEvent::bridge_in_flight).
    if (ctx.sut().in_process()) {
      if (const auto* e = first_event(j.trace, [](const auto& ev) {
            return ev.kind == CallKind::close && ev.bridge_in_flight > 0;
          })) {
        problem = std::to_string(e->bridge_in_flight) + " bridge tasks still queued or running when " + e->to_text() +
                  " returned";
      }
    }
    // Out of process the sink's own bridge is the one used; its process reports it.
    if (auto r = ctx.sut().borrowed_resources(); !problem && r && r->bridge_in_flight_after_close > 0) {
      problem = std::to_string(r->bridge_in_flight_after_close) + " bridge tasks still queued or running when " +
                r->that_close + " returned";
    }
    if (problem) return failure(*problem, j);
    return std::nullopt;
  });
}

CheckOutcome sk_6_2(CheckContext& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw_with_failures(ctx);  // sessions come back after a failure too
    auto j = ctx.run_judged(ctx.request(d.workload, d.plan, d.seed));
    // Out of process the sink's process owns the manager it hands out, and reports it.
    const auto reported = ctx.sut().borrowed_resources();
    if (ctx.session_manager().disposed() || (reported && reported->session_manager_disposed)) {
      return failure("the sink disposed the session manager", j);
    }
    const auto n = ctx.session_manager().leased() + (reported ? reported->sessions_leased : 0);
    if (n != 0) {
      return failure(std::to_string(n) + " sessions borrowed from the session manager were not returned by close", j);
    }
    return std::nullopt;
  });
}

}  // namespace

void add_runtime_checks(CheckRegistry& registry) {
  registry.add("SK-5.1", sk_5_1);
  registry.add("SK-6.1", sk_6_1);
  registry.add("SK-6.2", sk_6_2);
}

}  // namespace sinkkit::detail::checks
