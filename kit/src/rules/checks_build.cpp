// The checks of rule group SK-1.x: building partitions (config validation, the bridge, build without writes).
// Each is a property over generated workloads and fault plans, run through the
// SinkUnderTest interface and judged by the Oracle; the catalogue's text says
// what each one checks.

#include <rapidcheck.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>

#include "check_context.hpp"

namespace sinkkit::detail::checks {

namespace {

// --- SK-1: build ---------------------------------------------------------

CheckOutcome sk_1_1(CheckContext& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    const int workers = *rc::gen::inRange(1, std::clamp(ctx.options().max_workers, 1, 8) + 1);
    auto req = ctx.request(Workload::empty(workers, 1, 0), {}, *rc::gen::arbitrary<std::uint64_t>());
    // The workers' builds at the same moment, on a fresh target, as a runtime
    // starts them: a sink whose partitions race to create their storage fails.
    req.simulation.mode = ExecutionMode::threaded;
    auto j = ctx.run_judged(req);
    if (auto* e = first_event(j.trace, [](const auto& ev) { return ev.outcome != Outcome::ok; })) {
      return failure(std::string(to_string(e->kind)) + " of " + to_string(e->partition) + " (worker_count " +
                         std::to_string(workers) + ") threw " + e->error_kind + ": " + e->message,
                     j);
    }
    return std::nullopt;
  });
}

CheckOutcome sk_1_2(CheckContext& ctx) {
  auto probe = ctx.fresh_target();
  auto invalid = ctx.sut().invalid_configs(probe->get());
  if (!invalid) return untested("the harness lists no invalid configs (add invalid_configs() to check this rule)");
  if (invalid->empty()) return untested("the harness's invalid_configs() is empty");
  int cases = 0;
  for (const auto& bad : *invalid) {
    ++cases;
    auto target = ctx.fresh_target();
    auto configs = ctx.sut().invalid_configs(target->get());  // the same configs, aimed at this target
    const auto& cfg = configs->at(static_cast<std::size_t>(cases - 1)).config;
    auto req = ctx.request(Workload::empty(1, 1, 0), {}, 0);
    Trace t = ctx.run(cfg, req);
    const auto* build = first_event(t, [](const auto& ev) { return ev.kind == CallKind::build; });
    std::string problem;
    if (build == nullptr) {
      problem = "build was not called";
    } else if (build->outcome == Outcome::ok) {
      if (bad.must_reject) problem = "build accepted it";
    } else if (build->error_kind != "config") {
      problem = "build threw " + build->error_kind + " (" + build->message + "), not a ConfigError";
    } else if (build->message.find(bad.key) == std::string::npos) {
      problem = "the ConfigError's message does not name the key '" + bad.key + "': " + build->message;
    }
    if (problem.empty() && build != nullptr && build->outcome != Outcome::ok) {
      try {
        auto stored = ctx.read_back(ctx.sut().make_config(target->get()));
        if (!stored.keys.empty()) problem = "the rejected build left " + std::to_string(stored.keys.size()) + " items";
      } catch (const CaseFailed& e) {
        problem = "after the rejected build, " + e.failure().message;
      }
    }
    if (!problem.empty()) {
      return {CheckOutcome::broken, cases,
              "invalid config " + bad.config.dump() + " (bad key '" + bad.key + "'): " + problem,
              CaseFailure{"invalid config " + bad.config.dump() + ": " + problem, t, {}}};
    }
  }
  return held_after(cases);
}

CheckOutcome sk_1_3(CheckContext& ctx) {
  auto target = ctx.fresh_target();
  auto req = ctx.request(Workload::empty(1, 1, 0), {}, 0);
  req.simulation.bridge = nullptr;
  Trace t = ctx.run(ctx.sut().make_config(target->get()), req);
  const auto* build = first_event(t, [](const auto& ev) { return ev.kind == CallKind::build; });
  std::string lower;
  if (build) {
    for (char c : build->message) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string problem;
  if (build == nullptr) {
    problem = "build was not called";
  } else if (build->outcome == Outcome::ok) {
    problem = "build with a null bridge succeeded";
  } else if (lower.find("bridge") == std::string::npos) {
    problem = "the error does not mention the bridge: " + build->error_kind + ": " + build->message;
  }
  if (!problem.empty()) return {CheckOutcome::broken, 1, problem, CaseFailure{problem, t, {}}};
  return held_after(1);
}

CheckOutcome sk_1_4(CheckContext& ctx) {
  auto shape = ctx.shape();
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    const int workers = *rc::gen::inRange(1, shape.max_workers + 1);
    const int branches = ctx.sut().router_branch_safe() ? *rc::gen::inRange(1, 3) : 1;
    auto j = ctx.run_judged(ctx.request(Workload::empty(workers, branches, 0), {}, 0));
    if (!j.stored.keys.empty()) {
      return failure("build and close alone left " + std::to_string(j.stored.keys.size()) +
                         " items; first: " + to_string(j.stored.keys[0]),
                     j);
    }
    return std::nullopt;
  });
}

}  // namespace

void add_build_checks(CheckRegistry& registry) {
  registry.add("SK-1.1", sk_1_1);
  registry.add("SK-1.2", sk_1_2);
  registry.add("SK-1.3", sk_1_3);
  registry.add("SK-1.4", sk_1_4);
}

}  // namespace sinkkit::detail::checks
