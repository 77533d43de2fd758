#pragma once
/// \file
/// `Rule`: one numbered promise of the sink contract, as the
/// catalogue (`catalogue.hpp`) and docs/spec.md state it. Its `RuleLevel` is
/// in results/rule_result.hpp, since every result carries it.
///
/// **Example**:
///
///     #include <sinkkit/rules/catalogue.hpp>           // sinkkit::rule(id)
///     const sinkkit::Rule& r = sinkkit::rule("SK-2.3");
///     std::cout << r.id << " " << sinkkit::to_string(r.level) << ": " << r.statement;
///     // SK-2.3 MUST: No item of an acknowledged write_batch is missing from ...

#include <string_view>

#include <sinkkit/results/rule_result.hpp>  // RuleLevel: a result names its rule's level

namespace sinkkit {
inline namespace rules {


/// One rule of the catalogue. Ids are stable once published.
struct Rule {
  std::string_view id;          ///< "SK-<group>.<n>"
  RuleLevel level;
  std::string_view title;       ///< a few words, usable in a test name
  std::string_view statement;   ///< the promise, one or two sentences
  std::string_view rationale;   ///< why a real runtime needs it
  std::string_view applies;     ///< when it applies ("every sink", "exactly_once sinks", ...)
  std::string_view checked_by;  ///< what the kit runs to check it
};

}  // namespace rules
}  // namespace sinkkit
