#pragma once
// Private to the rules layer: runs one rule's property with RapidCheck under
// a budget and a seed, quietly, and keeps the shrunk counterexample.

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <string_view>

#include <sinkkit/judgement/verdict.hpp>
#include <sinkkit/rules/check.hpp>
#include <sinkkit/simulation/trace.hpp>

namespace sinkkit::detail {

/// Why one generated case broke the rule.
struct CaseFailure {
  std::string message;
  std::optional<Trace> trace;
  std::optional<Verdict> verdict;
  /// A call the sink failed on its own, not what the rule checks.
  bool unprovoked = false;
};

/// Thrown from inside a case whose outcome is already known to be this
/// failure (a read-back the sink's own reader could not read): the case
/// fails with it, as if the body had returned it.
class CaseFailed : public std::runtime_error {
 public:
  explicit CaseFailed(CaseFailure f) : std::runtime_error(f.message), failure_(std::move(f)) {}
  [[nodiscard]] const CaseFailure& failure() const noexcept { return failure_; }

 private:
  CaseFailure failure_;
};

/// A case: draws its inputs with `*gen`, runs them, and returns a failure or
/// nothing. It may throw std::exception for the kit's own failures.
using CaseBody = std::function<std::optional<CaseFailure>()>;

struct PropertyResult {
  bool held = true;
  int cases = 0;
  /// The last failing case RapidCheck saw: shrinking keeps only failing
  /// candidates, so this is the shrunk counterexample.
  std::optional<CaseFailure> failure;
};

/// How a property shrinks what it finds.
struct ShrinkOptions {
  /// Past it, every further shrink candidate is taken to hold: the smallest
  /// failing case found so far stands.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  /// A first failing case whose failed call another rule of the run found
  /// first is not shrunk at all (its message names that rule).
  SharedFindings* findings = nullptr;
};

/// Runs `body` as a RapidCheck property: `budget` cases from `seed`, the first
/// failing one shrunk as `shrink` says.
PropertyResult run_property(std::string_view rule_id, std::uint64_t seed, int budget, const CaseBody& body,
                            const ShrinkOptions& shrink = {});

/// True while this process's property shrinks a failure: its runs are then
/// variations of a case already counted, not new cases.
bool shrinking();

/// What an exception out of a case body means for the case (the one being
/// thrown: call it in a catch block). RapidCheck's own control flow
/// (rc::GenerationFailure) is rethrown.
CaseFailure failure_of_current_exception();

/// Output marks, for a process that checks one rule with its output captured
/// (the runner's rule child): with `fd` >= 0, each run of a case body, shrink
/// steps included, first writes `case_run_mark(n)` to `fd` (n from 1), so
/// that the runner can keep the output of the run that matters alone.
void mark_case_runs(int fd);
/// "\x1e[sinkkit case run N]\n".
std::string case_run_mark(int n);
/// The run whose failure is the reported counterexample (the last failing
/// one: the shrunk case), or 0.
int last_failing_case_run();
/// The case run going on (or the last one), from 1; 0 before the first.
int current_case_run();

}  // namespace sinkkit::detail
