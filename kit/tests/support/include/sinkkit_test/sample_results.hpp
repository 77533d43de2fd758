#pragma once
// A rule result as the kit's own tests of results and reports need one: a
// broken rule with a message and a one-call counterexample trace.

#include <string>
#include <utility>

#include <sinkkit/results/rule_result.hpp>
#include <sinkkit/simulation/trace.hpp>
#include <sinkkit/simulation/workload.hpp>

namespace sinkkit_test {

inline sinkkit::RuleResult close_rule_result(sinkkit::RuleStatus status) {
  sinkkit::RuleResult r;
  r.id = "SK-3.1";
  r.status = status;
  r.message = "close x1 and close x2 read back differently";
  sinkkit::Trace t;
  t.workload = sinkkit::Workload::empty(1, 1, 1);
  sinkkit::TraceEvent build;
  build.kind = sinkkit::CallKind::build;
  t.events.push_back(build);
  r.counterexample = sinkkit::Counterexample{.trace = std::move(t), .verdict = std::nullopt};
  return r;
}

}  // namespace sinkkit_test
