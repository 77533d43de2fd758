#pragma once
// Private to the rules layer: what every group of checks shares. The context
// one check runs in, the outcome a check returns before levels turn it into a
// status, the helpers that draw, run and judge cases, and the registry the
// group files add their checks to.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sinkkit/judgement/verdict.hpp>
#include <sinkkit/protocol/async_bridge.hpp>
#include <sinkkit/rules/check.hpp>
#include <sinkkit/rules/rule.hpp>
#include <sinkkit/rules/sink_under_test.hpp>
#include <sinkkit/simulation/fault_plan.hpp>
#include <sinkkit/simulation/session_manager.hpp>
#include <sinkkit/simulation/trace.hpp>
#include <sinkkit/simulation/workload.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "property.hpp"

// Nested in detail: the public headers declare sinkkit::detail helpers too, and
// short names like `failure` or `draw` must not meet them across TUs.
namespace sinkkit::detail::checks {

// A fresh directory and id per case, removed when the case ends, and what
// the sink keeps for it elsewhere dropped (SinkUnderTest::drop_target).
class ScopedTarget {
 public:
  ScopedTarget(const std::filesystem::path& root, std::string id, SinkUnderTest* sut = nullptr);
  ~ScopedTarget();
  ScopedTarget(const ScopedTarget&) = delete;
  ScopedTarget& operator=(const ScopedTarget&) = delete;
  [[nodiscard]] const TestTarget& get() const noexcept { return target_; }

 private:
  TestTarget target_;
  SinkUnderTest* sut_;
};

// How a check ended, before levels turn it into a status. `broken`: a case
// broke the rule (the failure holds it); `could_not_run`: the check stopped on
// an error before it could judge (the message says which).
struct CheckOutcome {
  enum Kind { held, broken, could_not_run, untested, not_applicable } kind = held;
  int cases = 0;
  std::string message;
  std::optional<CaseFailure> failure;
};

CheckOutcome held_after(int cases);
CheckOutcome untested(std::string why);
CheckOutcome not_applicable(std::string why);

// Storage faults the kit makes itself (files, a proxied server), not a hook's.
bool from_outside(StorageFaultMechanism m);

// One run judged: what the rules look at.
struct JudgedRun {
  Trace trace;
  ReadBack stored;
  Verdict verdict;
};

// Thrown in the parent of an isolated case once its child has decided the
// case (CheckOptions::isolate_cases); `property` returns the failure. Not a
// std::exception, so that nothing between the fork and `property` takes it.
struct CaseDecided {
  std::optional<CaseFailure> failure;
};

// Everything one check needs, shared by its cases.
class CheckContext {
 public:
  CheckContext(const Rule& rule, SinkUnderTest& sut, const CheckOptions& options);
  ~CheckContext();
  CheckContext(const CheckContext&) = delete;
  CheckContext& operator=(const CheckContext&) = delete;

  const Rule& rule() const { return rule_; }
  SinkUnderTest& sut() { return sut_; }
  const Capabilities& caps() const { return caps_; }
  const CheckOptions& options() const { return options_; }
  AsyncBridge& bridge() { return bridge_; }
  SessionManager& session_manager() { return session_manager_; }

  std::unique_ptr<ScopedTarget> fresh_target();

  // The budget for cheap rules, and for rules whose cases cost much more.
  int budget() const;
  int small_budget() const;
  // The crash and power-cut rules' (SK-4.3, SK-4.6): a quarter, at least 8.
  // A case is a point in the run and a point in a write, a few ms each.
  int crash_budget() const;

  // Workloads that fit the sink's declared limits.
  WorkloadShape shape() const;

  RunRequest request(Workload w, FaultPlan plan, std::uint64_t seed);

  // Runs `request` on a fresh target and judges the read-back after close.
  JudgedRun run_judged(const RunRequest& request);

  // Every run of a check goes through here, so the runner hears of it first.
  Trace run(const nlohmann::json& config, const RunRequest& request);

  void announce(const RunRequest& request) const;

  JudgedRun run_judged_on(const nlohmann::json& config, const RunRequest& request);

  // The sink's storage, and a run killed on purpose (SK-4.3): through here,
  // as runs are, so that an isolated case forks before the sink runs. A
  // storage the sink's own reader cannot read fails the case (CaseFailed)
  // as corrupted, with `trace` (the run that left it) as its counterexample.
  ReadBack read_back(const nlohmann::json& config, const Trace* trace = nullptr);
  std::optional<CrashRun> run_and_kill(const nlohmann::json& config, const RunRequest& request, KillPoint kill);
  std::optional<PowerCut> run_and_cut_power(const nlohmann::json& config, const TestTarget& target,
                                            const RunRequest& request, KillPoint cut, PowerCutState state);
  std::optional<StatefulRun> run_stateful(const nlohmann::json& config, const StatefulRequest& request);
  // The sink's processes' descriptors, threads and children for a run of
  // `workers` workers (SK-3.5), the kit's own bridge threads started first:
  // they are the kit's, there before and after.
  ResourceUsage resource_usage(int workers);
  void collect_garbage();

  // Isolated cases: `property` opens each case with begin_case; the case's
  // first call of the sink forks. The child runs the rest of the case and
  // ends it with end_case_in_child; the parent waits for it and throws
  // CaseDecided with the child's outcome, or with the crash or hang that
  // ended the child and the calls up to it.
  void begin_case();
  [[nodiscard]] bool in_case_child() const { return case_child_fd_ >= 0; }
  // `generation_failure`: RapidCheck gave up drawing the case (its message).
  [[noreturn]] void end_case_in_child(const std::optional<CaseFailure>& failure, const std::string& generation_failure = {});

  // The first call of the current case that failed with no fault injected,
  // taken (and cleared): `property` fails the case with it when the rule's
  // own judge found nothing. Recorded by the judged runs.
  std::optional<CaseFailure> take_unprovoked_failure();
  // The first judged run of the current case in which a sink declaring
  // exactly_once stored an item twice, taken (and cleared): a broken promise
  // whatever rule is checked, which `property` fails the case with when the
  // rule's own judge found nothing (its cause is SK-2.5's).
  std::optional<CaseFailure> take_duplicates_of_exactly_once();

  // Duplicates the sink stored in a judged run of the current case (every
  // judged run comes here; shrink steps are not counted): the check's figure.
  void count_duplicates(const Trace& trace, const Verdict& verdict);
  [[nodiscard]] const DuplicateFigure& duplicates() const { return duplicates_; }
  // What an isolated case's child counted, added in its parent.
  void add_duplicates(const DuplicateFigure& from_child);

 private:
  const Rule& rule_;
  SinkUnderTest& sut_;
  const CheckOptions& options_;
  Capabilities caps_;
  std::filesystem::path root_;
  int next_ = 0;
  AsyncBridge bridge_{1};
  SessionManager session_manager_;
  std::optional<CaseFailure> unprovoked_failure_;
  std::optional<CaseFailure> exactly_once_duplicates_;
  void enter_case_child();
  std::optional<CaseFailure> wait_for_case_child(int pid, int fd);
  bool case_open_ = false;   // isolating, and the current case has not forked yet
  int case_child_fd_ = -1;   // in a case child: where it reports
  std::chrono::nanoseconds slowest_gap_{0};  // between two reports of a case child
  bool seen_hang_ = false;
  int case_number_ = 0;             // cases begun
  int counted_case_ = -1;           // the last case counted in duplicates_
  DuplicateFigure duplicates_;
  DuplicateFigure child_counted_;  // in a case child: what it counted, for its parent
};

// --- helpers shared by the checks ---------------------------------------

CaseFailure failure(std::string message, const JudgedRun& j);
CaseFailure failure(std::string message, const Trace& t);

// The first event matching `pred`, or nullptr.
template <class Pred>
const TraceEvent* first_event(const Trace& t, Pred pred) {
  for (const auto& e : t.events)
    if (pred(e)) return &e;
  return nullptr;
}

// A call the sink failed in a run with no fault injected: the sink's own
// failure. Rules allow two: a write after close, and an empty batch refused by
// a sink that declares accepts_empty_batches = false. Nothing if none.
std::optional<CaseFailure> unprovoked_failure(const JudgedRun& j, const RunRequest& request, const Capabilities& caps);

// Stored items that differ from the item written under their key: the
// verdict's `corrupted` finding.
std::optional<CaseFailure> corrupted(const JudgedRun& j);

// A storage its sink's reader could not read (`how`: the error it raised),
// found after the run `trace`: the verdict's `corrupted` finding.
CaseFailure unreadable(const std::string& how, const Trace* trace);

// The oracle's first violation of `kind`.
std::optional<CaseFailure> violation(const JudgedRun& j, ViolationKind kind);

// The oracle's first violation of any kind, else corrupted items.
std::optional<CaseFailure> first_violation_or_corruption(const JudgedRun& j);

// Read-backs compared per partition: as sequences for ordered sinks, as
// multisets otherwise. Returns a description of the first difference.
std::optional<std::string> first_readback_difference(const std::vector<ItemKey>& a, const std::vector<ItemKey>& b,
                                                     bool ordered);

// A generated case: workload and fault plan within the sink's limits.
struct GeneratedCase {
  Workload workload;
  FaultPlan plan;
  std::uint64_t seed;
};

// Draws a case inside a property (uses RapidCheck's `*gen`).
GeneratedCase draw(WorkloadShape shape, std::optional<FaultMix> mix);

FaultMix no_storage_faults();

// The plans of the storage fault rules (and SK-2.5's cases with a storage
// fault): nothing else fails, and every partition gets its writes, so that
// most cases reach the fault.
inline constexpr FaultMix kStorageFaultMix{
    .build_failures = false, .write_failures = false, .aborts = false, .no_write_partitions = false};

// The first call during which an injected storage fault fired, or nullptr.
const TraceEvent* fired_fault(const Trace& t);

// One storage fault on one partition (a fault rule's, and a close rule's
// failure): from outside the sink, its kind, errno and the calls let through
// are drawn too; a hook decides those itself.
StorageFault draw_storage_fault(const Workload& w, StorageFaultMechanism mechanism);

// A case whose run may fail every way the sink under test offers: the kit's
// failed calls and aborted runs, and in a third of the cases its storage
// failing (hook, file system or network), so that what a rule checks at and
// after close is checked after each kind of failure too.
GeneratedCase draw_with_failures(CheckContext& ctx);

// Runs `body` as the rule's property: `budget` cases from the rule's seed.
CheckOutcome property(CheckContext& ctx, int budget, const CaseBody& body);

// A property that runs one generated case and checks the verdict with `judge`.
template <class Judge>
CheckOutcome judged_property(CheckContext& ctx, int budget, WorkloadShape shape, std::optional<FaultMix> mix,
                             Judge judge, std::function<void(RunRequest&)> adjust = {}) {
  return property(ctx, budget, [&]() -> std::optional<CaseFailure> {
    auto d = draw(shape, mix);
    auto req = ctx.request(d.workload, d.plan, d.seed);
    if (adjust) adjust(req);
    return judge(ctx.run_judged(req));
  });
}

// --- the registry ----------------------------------------------------------

using CheckFn = CheckOutcome (*)(CheckContext&);

// The checks by rule id. Each group file adds its own through a plain
// function, called by the registry: a static library would drop a TU that
// registered itself by static initialisation and is referenced by nothing.
class CheckRegistry {
 public:
  // Throws std::logic_error if `id` already has a check.
  void add(std::string_view id, CheckFn check);
  // The check of `id`, or nullptr.
  [[nodiscard]] CheckFn find(std::string_view id) const;

 private:
  std::map<std::string_view, CheckFn> checks_;
};

void add_build_checks(CheckRegistry& registry);    // SK-1.x
void add_write_checks(CheckRegistry& registry);    // SK-2.x
void add_close_checks(CheckRegistry& registry);    // SK-3.x
void add_fault_checks(CheckRegistry& registry);    // SK-4.x
void add_runtime_checks(CheckRegistry& registry);  // SK-5.x, SK-6.x
void add_stateful_checks(CheckRegistry& registry);  // SK-7.x

}  // namespace sinkkit::detail::checks
