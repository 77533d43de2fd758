// The registry of checks by rule id, and `check_rule`: runs the check of one
// rule in a fresh CheckContext and turns its outcome into a RuleResult.

#include <algorithm>
#include <chrono>
#include <optional>
#include <exception>
#include <stdexcept>
#include <string>

#include "check_context.hpp"

namespace sinkkit {

namespace detail::checks {

void CheckRegistry::add(std::string_view id, CheckFn check) {
  if (!checks_.emplace(id, check).second) throw std::logic_error("two checks for " + std::string(id));
}

CheckFn CheckRegistry::find(std::string_view id) const {
  auto it = checks_.find(id);
  return it == checks_.end() ? nullptr : it->second;
}

}  // namespace detail::checks

inline namespace rules {

namespace {

using detail::checks::CheckOutcome;

const detail::checks::CheckRegistry& registry() {
  static const detail::checks::CheckRegistry all = [] {
    detail::checks::CheckRegistry r;
    detail::checks::add_build_checks(r);
    detail::checks::add_write_checks(r);
    detail::checks::add_close_checks(r);
    detail::checks::add_fault_checks(r);
    detail::checks::add_runtime_checks(r);
    detail::checks::add_stateful_checks(r);
    return r;
  }();
  return all;
}

// The scope of a rule (rule.hpp), asked of the sink before its check runs:
// what does not bind the sink is not applicable, and what the kit cannot
// check is untested. The catalogue's applies_text says the same in words.
// (harness_lists_invalid_configs needs a target to ask: SK-1.2 asks itself.)
constexpr const char* kNotStateful =
    "the sink has no stateful partitions (a Bytewax FixedPartitionedSink served with --bytewax has)";

// What the sink's declarations alone decide (its capabilities, its node's
// router_branch_safe, stateful partitions, subtype batches): no sink call.
std::optional<CheckOutcome> declared_scope(Scope scope, const Capabilities& caps, SinkUnderTest& sut) {
  using detail::checks::not_applicable;
  switch (scope) {
    case Scope::declares_requires_bridge:
      if (!caps.requires_bridge) return not_applicable("the sink does not declare requires_bridge");
      return std::nullopt;
    case Scope::declares_ordered_per_partition:
      if (!caps.ordered_per_partition) return not_applicable("the sink does not declare ordered_per_partition");
      return std::nullopt;
    case Scope::declares_exactly_once:
      if (caps.delivery != Delivery::exactly_once) return not_applicable("the sink declares at_least_once delivery");
      return std::nullopt;
    case Scope::takes_subtype_batches:
      if (!sut.accepts_subtype_batches()) {
        return not_applicable("the sink cannot be handed batches of a payload subtype (its payload is not a "
                              "non-final class)");
      }
      return std::nullopt;
    case Scope::declares_survives_crash_on_return:
      if (!caps.promises_crash_survival()) {
        return not_applicable("the sink declares neither survives_crash nor survives_power_loss");
      }
      if (caps.durability != Durability::on_return) {
        return not_applicable("the sink's durability is on_close: nothing is promised before close");
      }
      return std::nullopt;
    case Scope::declares_survives_crash:
      if (!caps.promises_crash_survival()) {
        return not_applicable("the sink declares neither survives_crash nor survives_power_loss");
      }
      return std::nullopt;
    case Scope::stateful:
      if (!sut.stateful()) return not_applicable(kNotStateful);
      return std::nullopt;
    case Scope::stateful_exactly_once:
      if (!sut.stateful()) return not_applicable(kNotStateful);
      if (caps.delivery != Delivery::exactly_once) return not_applicable("the sink declares at_least_once delivery");
      return std::nullopt;
    case Scope::router_branch_safe:
      if (!sut.router_branch_safe()) return not_applicable("the node is not router_branch_safe");
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::optional<CheckOutcome> outside_scope(Scope scope, detail::checks::CheckContext& ctx) {
  using detail::checks::untested;
  if (auto declared = declared_scope(scope, ctx.caps(), ctx.sut())) return declared;
  const auto mechanism = ctx.sut().storage_fault_mechanism();
  switch (scope) {
    case Scope::every_sink:
    case Scope::harness_lists_invalid_configs:
      return std::nullopt;
    case Scope::inspectable_process:
      if (!ctx.sut().resource_usage(1)) {
        return untested("the processes hosting the sink cannot be inspected (no /proc: not Linux?)");
      }
      return std::nullopt;
    case Scope::storage_can_fail:
      if (mechanism == StorageFaultMechanism::none) {
        return untested(
            "the kit cannot make the sink's storage fail: it keeps no files under its target, and it has no hook (a "
            "harness: add arm_storage_fault; a sink process: declare fault_injection and answer the fault op)");
      }
      return std::nullopt;
    case Scope::storage_fails_from_outside:
      if (!detail::checks::from_outside(mechanism)) {
        return untested(mechanism == StorageFaultMechanism::hook
                            ? "the sink's storage fails through its own hook, which cannot tell the kit what failed"
                            : "the kit cannot make the sink's storage fail: it keeps no files under its target");
      }
      return std::nullopt;
    case Scope::power_can_be_cut:
      if (!ctx.sut().power_can_be_cut()) {
        return untested("the kit models a power cut on the files a sink writes under its target, seen through its "
                        "interposer, which is not in the sink's process (a sink process that did not load it, a "
                        "server's storage, a harness program without libsinkkit_faults)");
      }
      return std::nullopt;
    default:
      return std::nullopt;  // decided by declared_scope
  }
}

}  // namespace

bool declared_outside(const Rule& rule, SinkUnderTest& sut) {
  return declared_scope(rule.applies.scope, sut.capabilities(), sut).has_value();
}

namespace {

RuleStatus status_of(const CheckOutcome& o, RuleLevel level) {
  switch (o.kind) {
    case CheckOutcome::held:
      return RuleStatus::passed;
    case CheckOutcome::untested:
      return RuleStatus::untested;
    case CheckOutcome::not_applicable:
      return RuleStatus::not_applicable;
    case CheckOutcome::broken:
    // Not judged, so not passed: it fails as a broken rule would (a SHOULD
    // rule warns), with the error as its message and no counterexample.
    case CheckOutcome::could_not_run:
      return level == RuleLevel::should ? RuleStatus::warning : RuleStatus::failed;
  }
  return RuleStatus::failed;
}

}  // namespace

bool has_check(std::string_view id) { return registry().find(id) != nullptr; }

RuleResult check_rule(const Rule& rule, SinkUnderTest& sut, const CheckOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  RuleResult r;
  r.id = std::string(rule.id);
  r.title = std::string(rule.title);
  r.statement = std::string(rule.statement);
  r.level = rule.level;
  r.seed = options.seed;
  CheckOutcome outcome;
  auto check = registry().find(rule.id);
  if (check == nullptr) {
    outcome = detail::checks::untested("this kit has no check for " + std::string(rule.id));
  } else {
    try {
      detail::checks::CheckContext ctx(rule, sut, options);
      auto outside = outside_scope(rule.applies.scope, ctx);
      outcome = outside ? std::move(*outside) : check(ctx);
      if (ctx.duplicates().items > 0) r.duplicates = ctx.duplicates();
    } catch (const std::exception& e) {
      outcome = {CheckOutcome::could_not_run, 0, std::string("the check could not run: ") + e.what(), std::nullopt};
    }
    sut.release();
  }
  r.status = status_of(outcome, rule.level);
  r.cases = outcome.cases;
  r.message = outcome.message;
  // What the sink's delivery cost in this rule's cases, as a figure: allowed
  // at least once, SK-2.5's finding for a sink that promises exactly once.
  if (r.duplicates) {
    r.message += std::string(r.message.empty() ? "" : "; ") +
                 (sut.capabilities().delivery == Delivery::exactly_once ? "exactly once, yet: " : "at least once: ") +
                 r.duplicates->to_text(std::max(1, r.cases));
  }
  // What the kit noticed on the way (a slow call), after the verdict's own words.
  for (const auto& note : sut.take_notes()) r.message += (r.message.empty() ? "" : "; ") + note;
  if (outcome.failure && outcome.failure->trace) {  // every case failure has its trace
    r.counterexample = Counterexample{.trace = *outcome.failure->trace, .verdict = outcome.failure->verdict};
  }
  r.incidental = outcome.failure && outcome.failure->unprovoked;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace rules
}  // namespace sinkkit
