#pragma once
// Private to the rules layer: runs one rule's property with RapidCheck under
// a budget and a seed, quietly, and keeps the shrunk counterexample.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <sinkkit/judgement/verdict.hpp>
#include <sinkkit/simulation/trace.hpp>

namespace sinkkit::detail {

/// Why one generated case broke the rule.
struct CaseFailure {
  std::string message;
  std::optional<Trace> trace;
  std::optional<Verdict> verdict;
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

PropertyResult run_property(std::string_view rule_id, std::uint64_t seed, int budget, const CaseBody& body);

}  // namespace sinkkit::detail
