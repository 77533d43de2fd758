// The checks of rule group SK-4.x: faults (storage failures, crashes and rescaling).
// Each is a property over generated workloads and fault plans, run through the
// SinkUnderTest interface and judged by the Oracle; the catalogue's text says
// what each one checks.

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <sinkkit/judgement/oracle.hpp>
#include <stdexcept>
#include <string>
#include <utility>

#include "check_context.hpp"

namespace sinkkit::detail::checks {

// One storage fault on one partition. From outside the sink (the file-system
// interposer, the TCP proxy) its kind, errno and the calls let through are
// drawn too; a hook decides those itself.
StorageFault draw_storage_fault(const Workload& w, StorageFaultMechanism mechanism) {
  const int worker = *rc::gen::inRange(0, w.workers);
  // Somewhere within the items the partition will be handed, so that most
  // cases reach the fault.
  const std::int64_t items = w.items(worker, 0);
  StorageFault f{worker, 0, *rc::gen::inRange<std::int64_t>(0, std::max<std::int64_t>(1, items))};
  if (mechanism == StorageFaultMechanism::file_system) {
    f.kind = *rc::gen::element(StorageFaultKind::any_call, StorageFaultKind::write_error, StorageFaultKind::sync_error,
                               StorageFaultKind::short_write);
    f.error = *rc::gen::element(5, 28, 122);  // EIO, ENOSPC, EDQUOT
    f.skip = *rc::gen::weightedElement<int>({{4, 0}, {1, 1}, {1, 2}});
  } else if (mechanism == StorageFaultMechanism::network) {
    // Resets cost nothing; the others wait out the stall time.
    f.kind = *rc::gen::weightedElement<StorageFaultKind>({{3, StorageFaultKind::connection_reset},
                                                          {1, StorageFaultKind::stall},
                                                          {1, StorageFaultKind::drop_requests},
                                                          {2, StorageFaultKind::drop_replies}});
    f.skip = *rc::gen::weightedElement<int>({{3, 0}, {1, 1}, {1, 2}});
  }
  return f;
}

namespace {

// --- SK-4: faults --------------------------------------------------------

// Faults from outside reach only storage the kit stands in front of: a
// check that reached none in any case tested nothing.
CheckOutcome reached_or_untested(CheckOutcome outcome, StorageFaultMechanism mechanism, int reached) {
  if (outcome.kind != CheckOutcome::held) return outcome;
  if (mechanism == StorageFaultMechanism::file_system && reached == 0) {
    return untested("no case reached an injected storage fault: the sink made no write, fsync, rename or create "
                    "under its target (file-system faults reach only files under {target})");
  }
  if (mechanism == StorageFaultMechanism::network && reached == 0) {
    return untested("no case reached an injected network fault: the sink sent no request through the server "
                    "its config names as {proxy:HOST:PORT} while a write_batch or close ran");
  }
  outcome.message = "storage faults by " + to_string(mechanism) +
                    (from_outside(mechanism)
                         ? "; " + std::to_string(reached) + " of " + std::to_string(outcome.cases) + " cases reached one"
                         : "");
  return outcome;
}

CheckOutcome storage_fault_property(CheckContext& ctx, bool keep_writing) {
  const auto mechanism = ctx.sut().storage_fault_mechanism();  // not none: the rules' scope (storage_can_fail)
  int reached = 0;
  auto outcome = property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), kStorageFaultMix);
    const auto fault = draw_storage_fault(d.workload, mechanism);
    d.plan.storage_faults.push_back(fault);
    d.plan.keep_writing_after_failure = keep_writing;
    auto target = ctx.fresh_target();
    auto config = ctx.sut().make_config(target->get());
    auto j = ctx.run_judged_on(config, ctx.request(d.workload, d.plan, d.seed));
    const bool fired = fired_fault(j.trace) != nullptr;
    if (fired) ++reached;
    if (auto f = violation(j, ViolationKind::lost)) return f;
    if (auto f = violation(j, ViolationKind::gap)) return f;
    if (auto f = corrupted(j)) return f;
    if (auto f = violation(j, ViolationKind::duplicated)) return f;  // an exactly-once sink's only
    // A torn record left by a short write must be gone once the sink opens
    // its storage again (a sink that can: survives_crash, or a power cut).
    if (fault.kind == StorageFaultKind::short_write && fired && ctx.caps().promises_crash_survival()) {
      ctx.run(config, ctx.request(Workload::empty(d.workload.workers, 1, 0), {}, 0));
      j.stored = ctx.read_back(config, &j.trace);
      if (auto f = corrupted(j)) {
        f->message = "after a short write and a fresh build: " + f->message;
        return f;
      }
    }
    return std::nullopt;
  });
  return reached_or_untested(std::move(outcome), mechanism, reached);
}

CheckOutcome sk_4_1(CheckContext& ctx) { return storage_fault_property(ctx, false); }
CheckOutcome sk_4_2(CheckContext& ctx) { return storage_fault_property(ctx, true); }

// SK-4.5: the call during which storage failed must raise unless the sink
// made the failed call good. A failed fsync counts where it is the
// acknowledgement's durability step (write_batch of an on_return sink):
// elsewhere (close, say) a library may sync for its own housekeeping and
// rightly ignore the error (SQLite's checkpoint keeps the synced WAL).
// Over the network the kit sees requests, not which of them mattered (a
// connection's goodbye may be lost harmlessly): a call that returned
// normally after its connection failed is judged by what the server holds.
std::optional<std::string> swallowed_error(const JudgedRun& j, const TraceEvent& e, const Capabilities& caps) {
  const auto& f = *e.storage_fault;
  if (f.error == 0 || !e.forwarded || e.sink_outcome != Outcome::ok) return std::nullopt;
  const bool durability_step = e.kind == CallKind::write_batch && caps.durability == Durability::on_return;
  const std::string call = e.kind == CallKind::close ? "close" : "write_batch #" + std::to_string(e.call);
  if (f.network) {
    if (f.retried) return std::nullopt;
    const auto lost = std::ranges::find_if(
        j.verdict.violations, [](const Violation& v) { return v.kind == ViolationKind::lost; });
    if (lost == j.verdict.violations.end()) return std::nullopt;
    return call + " on " + to_string(e.partition) + " returned normally after " + f.to_text() +
           ", without sending again on a new connection, and acknowledged items are missing from storage (" +
           lost->message + "): the error was swallowed";
  }
  if (f.sync()) {
    if (!durability_step) return std::nullopt;
    return call + " on " + to_string(e.partition) + " returned normally after " + f.to_text() +
           ": it acknowledged items the storage said it could not make durable, and a failed fsync cannot be "
           "retried away (the kernel may have dropped the unwritten pages)";
  }
  if (f.retried) return std::nullopt;
  // A sink that promises nothing before close may write again there.
  if (e.kind == CallKind::write_batch && caps.durability == Durability::on_close) return std::nullopt;
  return call + " on " + to_string(e.partition) + " returned normally after " + f.to_text() +
         ", and the sink did not write those bytes again: the error was swallowed";
}

CheckOutcome sk_4_5(CheckContext& ctx) {
  const auto mechanism = ctx.sut().storage_fault_mechanism();  // from outside: SK-4.5's scope
  int reached = 0;
  auto outcome = property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), kStorageFaultMix);
    d.plan.storage_faults.push_back(draw_storage_fault(d.workload, mechanism));
    d.plan.keep_writing_after_failure = *rc::gen::arbitrary<bool>();
    auto j = ctx.run_judged(ctx.request(d.workload, d.plan, d.seed));
    const TraceEvent* e = fired_fault(j.trace);
    if (e == nullptr) return std::nullopt;
    ++reached;
    if (auto why = swallowed_error(j, *e, ctx.caps())) {
      return CaseFailure{.message = *why, .trace = j.trace, .verdict = j.verdict};
    }
    return std::nullopt;
  });
  return reached_or_untested(std::move(outcome), mechanism, reached);
}

// How far into the fatal write a crash lands, in the run's mean write time:
// a third of the cases before the sink begins it (where a shrink ends), the
// others anywhere up to past its end (0.01 to 1.5).
double into_write() {
  // At full size whatever the case's: inRange scales with it, and small
  // cases would all kill at once.
  const int n = *rc::gen::resize(100, rc::gen::inRange(-75, 151));
  return n <= 0 ? 0.0 : n / 100.0;
}

CheckOutcome sk_4_3(CheckContext& ctx) {
  return property(ctx, ctx.crash_budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    const auto kill_after = *rc::gen::inRange<std::int64_t>(0, std::max<std::int64_t>(1, d.workload.total_batches()));
    const KillPoint kill{kill_after, into_write()};
    auto target = ctx.fresh_target();
    auto config = ctx.sut().make_config(target->get());
    auto req = ctx.request(d.workload, {}, d.seed);
    req.simulation.bridge = nullptr;  // the child makes its own
    req.simulation.session_manager = nullptr;
    auto crash = ctx.run_and_kill(config, req, kill);
    if (!crash) throw std::runtime_error("the sink under test cannot be run in a process of its own");
    // Recovery: a fresh build and close on every worker, then read back.
    auto recovery = ctx.request(Workload::empty(d.workload.workers, 1, 0), {}, 0);
    ctx.run(config, recovery);
    JudgedRun j;
    j.trace = std::move(crash->writes);
    j.stored = ctx.read_back(config, &j.trace);
    JudgeOptions opts;
    j.verdict = Oracle(ctx.caps(), opts).judge(j.trace, j.stored.keys);
    ctx.count_duplicates(j.trace, j.verdict);
    if (auto f = violation(j, ViolationKind::lost)) {
      const auto acked = std::ranges::count_if(j.trace.events, [](const TraceEvent& e) { return e.acknowledged(); });
      f->message =
          "killed after " + std::to_string(acked) + " acknowledged writes (" + crash->note + "): " + f->message;
      return f;
    }
    if (auto f = violation(j, ViolationKind::unexpected)) return f;
    if (auto f = corrupted(j)) return f;
    return violation(j, ViolationKind::duplicated);  // an exactly-once sink's only
  });
}

// SK-4.6: a power cut at a generated point, the target rewritten to a crash
// state (runners' faults/power_loss.hpp), a fresh build, the read-back. For a
// sink that does not declare survives_power_loss, what the cuts lost is said,
// not judged: the capability is then an informed choice.
CheckOutcome sk_4_6(CheckContext& ctx) {
  const bool declared = ctx.caps().survives_power_loss;
  int wrote = 0, losing = 0, unreadable_cases = 0;
  std::int64_t lost_items = 0;
  std::string first_loss, first_unreadable;
  // Each case is a run cut once and two crash states of it (a few ms a
  // state, served or in process).
  auto outcome = property(ctx, ctx.crash_budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    // After the last write comes the cut right after the run's closes (what
    // an on_close sink promises).
    const auto cut_after = *rc::gen::inRange<std::int64_t>(0, d.workload.total_batches() + 1);
    // Which kind of state comes first (both are judged), and the drawn
    // one's seed; shrinks toward strict first.
    const PowerCutState state{.strict = !*rc::gen::arbitrary<bool>(), .seed = *rc::gen::arbitrary<std::uint64_t>()};
    auto target = ctx.fresh_target();
    auto config = ctx.sut().make_config(target->get());
    auto req = ctx.request(d.workload, {}, d.seed);
    req.simulation.bridge = nullptr;  // the run's process makes its own
    req.simulation.session_manager = nullptr;
    const KillPoint point{cut_after, into_write()};
    auto cut = ctx.run_and_cut_power(config, target->get(), req, point, state);
    if (!cut) throw std::runtime_error("the sink under test cannot have its power cut");
    if (!shrinking() && cut->wrote) ++wrote;
    // Each cut is judged in two crash states of its run: the drawn one and
    // the other kind (strict, only what was synced, beside a drawn one; a
    // drawn one beside strict). One state a case missed a loss in half the
    // cases that had one: the state that kept what was never synced.
    const PowerCutState other = state.strict ? PowerCutState{.strict = false, .seed = state.seed}
                                             : PowerCutState{.strict = true, .seed = 0};
    for (int n = 0; n < 2; ++n) {
      if (n == 1) {
        if (!cut->recut) break;
        cut = cut->recut(other);
      }
      // Recovery: a fresh build and close on every worker, then the read-back.
      const Trace recovery = ctx.run(config, ctx.request(Workload::empty(d.workload.workers, 1, 0), {}, 0));
      JudgedRun j;
      j.trace = cut->writes;
      if (const auto* e = first_event(recovery, [](const TraceEvent& ev) { return ev.sink_failed_on_its_own(); })) {
        auto f = failure("after the power cut (" + cut->state + "), the fresh build failed: " + e->to_text(), j.trace);
        if (declared) return std::optional<CaseFailure>(std::move(f));
        continue;
      }
      const std::string cut_text =
          (cut->mid_run ? "power cut " + to_string(point) : std::string("power cut right after the run's closes")) +
          " (" + cut->state + "): ";
      try {
        j.stored = ctx.read_back(config, &j.trace);
      } catch (const CaseFailed& unreadable) {
        if (declared) throw;
        // Not judged either: said beside the losses.
        if (!shrinking()) {
          ++unreadable_cases;
          if (first_unreadable.empty()) first_unreadable = cut_text + unreadable.what();
        }
        break;
      }
      j.verdict = Oracle(ctx.caps()).judge(j.trace, j.stored.keys);
      ctx.count_duplicates(j.trace, j.verdict);
      std::optional<CaseFailure> f = violation(j, ViolationKind::lost);
      if (!f) f = corrupted(j);
      if (!f) f = violation(j, ViolationKind::duplicated);
      if (!f) continue;
      f->message = cut_text + f->message;
      if (declared) return f;
      if (!shrinking() && j.verdict.total.lost > 0) {
        ++losing;
        lost_items += j.verdict.total.lost;
        if (first_loss.empty()) first_loss = f->message;
        break;  // one loss a case counted
      }
    }
    return std::nullopt;
  });
  if (!declared && outcome.kind == CheckOutcome::held && wrote == 0) {
    return not_applicable("the sink does not declare survives_power_loss, and keeps nothing under {target} for a "
                          "power cut to lose");
  }
  if (outcome.kind == CheckOutcome::held && wrote == 0) {
    return untested("no case wrote anything under its target before the cut (a power cut is modelled on the "
                    "files a sink keeps under {target})");
  }
  if (!declared && outcome.kind == CheckOutcome::held) {
    auto info = not_applicable(
        "the sink does not declare survives_power_loss; a power cut would have lost " +
        (losing == 0 ? std::string("nothing acknowledged in ") + std::to_string(outcome.cases) + " cases"
                     : std::to_string(lost_items) + " acknowledged items in " + std::to_string(losing) + " of " +
                           std::to_string(outcome.cases) + " cases; first: " + first_loss) +
        (unreadable_cases == 0 ? std::string()
                               : "; and left what it stores unreadable in " + std::to_string(unreadable_cases) +
                                     " of " + std::to_string(outcome.cases) + " cases; first: " + first_unreadable));
    info.cases = outcome.cases;
    return info;
  }
  return outcome;
}

// Both runs of SK-4.4 as one trace for the oracle: partitions are matched by
// (worker, branch), and the second run's seqs start after the first run's.
Trace join_runs(const Trace& a, const Trace& b) {
  Trace m = a;
  m.workload = Workload::empty(std::max(a.workload.workers, b.workload.workers), a.workload.branches,
                               std::max(a.workload.epochs, b.workload.epochs));
  const auto offset = a.events.size();
  for (auto e : b.events) {
    e.index += offset;
    m.events.push_back(std::move(e));
  }
  m.aborted = a.aborted || b.aborted;
  m.abort_reason = a.abort_reason.empty() ? b.abort_reason : a.abort_reason;
  return m;
}

CheckOutcome sk_4_4(CheckContext& ctx) {
  return property(ctx, ctx.small_budget(), [&]() -> std::optional<CaseFailure> {
    const bool up = *rc::gen::arbitrary<bool>();
    auto shape = ctx.shape();
    shape.min_workers = shape.max_workers = up ? 2 : 4;
    auto first = draw(shape, std::nullopt);
    shape.min_workers = shape.max_workers = up ? 4 : 2;
    auto second = draw(shape, std::nullopt);
    auto target = ctx.fresh_target();
    auto config = ctx.sut().make_config(target->get());
    Trace t1 = ctx.run(config, ctx.request(first.workload, {}, first.seed));
    auto req2 = ctx.request(second.workload, {}, second.seed);
    std::int64_t max_items = 0;
    for (int w = 0; w < first.workload.workers; ++w) max_items = std::max(max_items, first.workload.items(w, 0));
    req2.simulation.start_seq = max_items;
    Trace t2 = ctx.run(config, req2);
    JudgedRun j;
    j.trace = join_runs(t1, t2);
    j.stored = ctx.read_back(config, &j.trace);
    j.verdict = Oracle(ctx.caps()).judge(j.trace, j.stored.keys);
    ctx.count_duplicates(j.trace, j.verdict);
    const std::string what = up ? "rescaled 2 -> 4 workers: " : "rescaled 4 -> 2 workers: ";
    for (auto kind : {ViolationKind::lost, ViolationKind::unexpected, ViolationKind::duplicated}) {
      if (auto f = violation(j, kind)) {
        f->message = what + f->message;
        return f;
      }
    }
    return corrupted(j);
  });
}

}  // namespace

void add_fault_checks(CheckRegistry& registry) {
  registry.add("SK-4.1", sk_4_1);
  registry.add("SK-4.2", sk_4_2);
  registry.add("SK-4.3", sk_4_3);
  registry.add("SK-4.4", sk_4_4);
  registry.add("SK-4.5", sk_4_5);
  registry.add("SK-4.6", sk_4_6);
}

}  // namespace sinkkit::detail::checks
