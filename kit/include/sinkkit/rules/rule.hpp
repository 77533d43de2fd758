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

#include <string>
#include <string_view>

#include <sinkkit/results/rule_result.hpp>  // RuleLevel: a result names its rule's level

namespace sinkkit {
inline namespace rules {


/// Which sinks a rule binds. The one source of docs/spec.md's "Applies to"
/// and of the verdict for the others (`not_applicable`, or `untested` when
/// what is missing is the kit's means to check, not the sink's promise):
/// the check registry gates every rule on it before its check runs.
enum class Scope {
  every_sink,
  harness_lists_invalid_configs,  ///< untested otherwise (the list is the harness's)
  declares_requires_bridge,
  declares_ordered_per_partition,
  declares_exactly_once,
  takes_subtype_batches,  ///< in-process with a non-final payload class; every wire sink (extra fields)
  inspectable_process,    ///< its processes under /proc (Linux); untested otherwise
  storage_can_fail,       ///< files under its target, a {proxy:HOST:PORT} server, or a hook; untested otherwise
  storage_fails_from_outside,  ///< files or a proxied server; untested otherwise (a hook cannot tell what failed)
  declares_survives_crash_on_return,
  declares_survives_crash,
  router_branch_safe,
  power_can_be_cut,  ///< the kit sees its file calls (untested otherwise); binds sinks declaring survives_power_loss
  stateful,               ///< stateful partitions: parts, snapshots, resumes (Bytewax's FixedPartitionedSink)
  stateful_exactly_once,  ///< the same, declaring exactly_once
};

/// Where a rule applies: its scope, and a remark on how (may be empty).
struct Applies {
  Scope scope = Scope::every_sink;
  std::string_view remark;
};

/// "every sink (remark)", "sinks declaring requires_bridge", ...: the
/// "Applies to" of docs/spec.md, made from the scope.
std::string applies_text(const Applies& applies);

/// One rule of the catalogue. Ids are stable once published.
struct Rule {
  std::string_view id;          ///< "SK-<group>.<n>"
  RuleLevel level;
  std::string_view title;       ///< a few words, usable in a test name
  std::string_view statement;   ///< the promise, one or two sentences
  std::string_view rationale;   ///< why a real runtime needs it
  Applies applies;              ///< which sinks it binds
  std::string_view checked_by;  ///< what the kit runs to check it
  /// Its finding needs the workers' threads on cores of their own (a race
  /// shows only when two calls really run at once): the runner checks it with
  /// no other rule beside it.
  bool needs_the_cores = false;
};

}  // namespace rules
}  // namespace sinkkit
