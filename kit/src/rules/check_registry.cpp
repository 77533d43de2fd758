// The registry of checks by rule id, and `check_rule`: runs the check of one
// rule in a fresh CheckContext and turns its outcome into a RuleResult.

#include <chrono>
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
    return r;
  }();
  return all;
}

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
      outcome = check(ctx);
    } catch (const std::exception& e) {
      outcome = {CheckOutcome::could_not_run, 0, std::string("the check could not run: ") + e.what(), std::nullopt};
    }
    sut.release();
  }
  r.status = status_of(outcome, rule.level);
  r.cases = outcome.cases;
  r.message = outcome.message;
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
