// The checks of rule group SK-2.x: writing batches (durability, order, loss, duplicates, batch memory and sizes,
// concurrency). Each is a property over generated workloads and fault plans, run through the SinkUnderTest interface
// and judged by the Oracle; the catalogue's text says what each one checks.

#include <rapidcheck.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>

#include "check_context.hpp"

namespace sinkkit::detail::checks {

namespace {

// --- SK-2: writing -------------------------------------------------------

CheckOutcome sk_2_1(CheckContext& ctx) {
  if (ctx.caps().durability == Durability::on_close) {
    return judged_property(ctx, ctx.budget(), ctx.shape(), no_storage_faults(),
                           [](const JudgedRun& j) { return violation(j, ViolationKind::lost); });
  }
  // on_return: read back after every acknowledged write (a few cases: each
  // reads back once per write).
  return property(ctx, ctx.small_budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), no_storage_faults());
    // RapidCheck's first cases are its smallest: each case has an item to check.
    if (d.workload.total_items() == 0) d.workload.cells.front().push_back(1);
    auto target = ctx.fresh_target();
    auto config = ctx.sut().make_config(target->get());
    std::unordered_set<ItemKey> acked;
    std::optional<std::string> problem;
    std::optional<CaseFailure> unreadable_store;  // the sink's reader failed mid-run
    auto req = ctx.request(d.workload, d.plan, d.seed);
    req.simulation.after_write = [&](const TraceEvent& e) {
      for (std::uint32_t i = 0; i < e.size; ++i) acked.insert(e.key(i));
      if (problem) return;
      ReadBack stored;
      try {
        stored = ctx.read_back(config);
      } catch (const CaseFailed& failed) {
        unreadable_store = failed.failure();
        problem = failed.failure().message;
        return;
      }
      std::unordered_set<ItemKey> have(stored.keys.begin(), stored.keys.end());
      for (const auto& k : acked) {
        if (!have.contains(k)) {
          problem = "after " + e.to_text() + " returned, " + to_string(k) +
                    " (acknowledged) is not in the read-back, although the sink declares durability on_return";
          return;
        }
      }
    };
    Trace t = ctx.run(config, req);
    if (!problem) return std::nullopt;
    if (unreadable_store) {
      unreadable_store->trace = std::move(t);
      return unreadable_store;
    }
    // A loss, seen when write_batch returned: the oracle's finding's shape,
    // so that causes group it with the same loss found later (after a
    // crash, a failed flush at close).
    Verdict seen;
    seen.violations.push_back({ViolationKind::lost, *problem});
    return CaseFailure{*problem, std::move(t), std::move(seen)};
  });
}

CheckOutcome sk_2_2(CheckContext& ctx) {
  return judged_property(ctx, ctx.budget(), ctx.shape(), no_storage_faults(),
                         [](const JudgedRun& j) { return violation(j, ViolationKind::reordered); });
}

CheckOutcome sk_2_3(CheckContext& ctx) {
  return judged_property(ctx, ctx.budget(), ctx.shape(), no_storage_faults(),
                         [](const JudgedRun& j) { return violation(j, ViolationKind::lost); });
}

CheckOutcome sk_2_4(CheckContext& ctx) {
  return judged_property(
      ctx, ctx.budget(), ctx.shape(), no_storage_faults(),
      [](const JudgedRun& j) {
        if (auto f = violation(j, ViolationKind::unexpected)) return f;
        return corrupted(j);
      },
      [](RunRequest& r) { r.simulation.poison_batches = false; });  // retention is SK-2.7's business
}

// Duplicates come from retries: a repeated close that flushes again, and a
// flush retried after its storage failed, above all one whose reply was lost
// after the storage kept it. So two cases in three, for a sink whose storage
// the kit can fail, draw a storage fault as the SK-4.x rules do (writing on
// after it or not); the others the kit's failed calls and repeated closes.
CheckOutcome sk_2_5(CheckContext& ctx) {
  const auto mechanism = ctx.sut().storage_fault_mechanism();
  int with_fault = 0, reached = 0;
  auto outcome = property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    const bool storage = mechanism != StorageFaultMechanism::none && *rc::gen::inRange(0, 3) != 2;
    auto d = draw(ctx.shape(), storage ? kStorageFaultMix : FaultMix{});
    if (storage) {
      d.plan.storage_faults.push_back(draw_storage_fault(d.workload, mechanism));
      d.plan.keep_writing_after_failure = *rc::gen::arbitrary<bool>();
    }
    auto j = ctx.run_judged(ctx.request(d.workload, d.plan, d.seed));
    if (!shrinking()) {
      with_fault += storage ? 1 : 0;
      reached += fired_fault(j.trace) != nullptr ? 1 : 0;
    }
    return violation(j, ViolationKind::duplicated);
  });
  if (outcome.kind == CheckOutcome::held && with_fault > 0) {
    outcome.message = "storage faults by " + to_string(mechanism) + " in " + std::to_string(with_fault) + " of " +
                      std::to_string(outcome.cases) + " cases; " + std::to_string(reached) + " reached one";
  }
  return outcome;
}

CheckOutcome sk_2_6(CheckContext& ctx) {
  return judged_property(ctx, ctx.budget(), ctx.shape(), no_storage_faults(), first_violation_or_corruption,
                         [](RunRequest& r) { r.simulation.view = PayloadView::subtype; });
}

CheckOutcome sk_2_7(CheckContext& ctx) {
  return judged_property(
      ctx, ctx.budget(), ctx.shape(), no_storage_faults(),
      [](const JudgedRun& j) -> std::optional<CaseFailure> {
        std::int64_t poisoned = 0;
        for (const auto& k : j.stored.keys) poisoned += k == kPoisonKey ? 1 : 0;
        if (poisoned > 0) {
          return failure(std::to_string(poisoned) +
                             " stored items are the kit's poison, written over batch memory after write_batch "
                             "returned: the sink kept references into a batch",
                         j);
        }
        if (auto f = violation(j, ViolationKind::unexpected)) return f;
        if (auto f = corrupted(j)) return f;
        return violation(j, ViolationKind::lost);
      },
      [](RunRequest& r) { r.simulation.poison_batches = true; });
}

CheckOutcome sk_2_8(CheckContext& ctx) {
  if (!ctx.caps().accepts_empty_batches) {
    return {CheckOutcome::broken, 0,
            "the sink declares accepts_empty_batches = false, but the runtime delivers an empty batch now and then",
            std::nullopt};
  }
  auto shape = ctx.shape();
  shape.empty_batch_percent = 40;
  return judged_property(
      ctx, ctx.budget(), shape, FaultMix{.build_failures = false, .write_failures = false, .aborts = false},
      [](const JudgedRun& j) -> std::optional<CaseFailure> {
        if (auto* e = first_event(j.trace, [](const auto& ev) {
              return ev.kind == CallKind::write_batch && ev.size == 0 && ev.sink_outcome != Outcome::ok;
            })) {
          return failure("an empty write_batch threw: " + e->to_text(), j);
        }
        return first_violation_or_corruption(j);
      });
}

// The boundary runs first, in a case of its own: a batch of exactly
// max_batch_size (after the two smaller steps below), which any hidden limit
// below it truncates or refuses, whatever the seed.
// The generated cases then draw sizes from [1, max] on a log scale: every
// magnitude is as likely (the chunk edges like 999/1000/1001 where off-by-ones
// live), and a case costs a third of what uniform sizes cost at 65,536.
CheckOutcome sk_2_9(CheckContext& ctx) {
  const auto max = static_cast<std::uint32_t>(std::max<std::size_t>(1, ctx.caps().max_batch_size));
  auto run_case = [&](const Workload& w, std::uint64_t seed) -> std::optional<CaseFailure> {
    auto j = ctx.run_judged(ctx.request(w, {}, seed));
    if (auto* e = first_event(j.trace, [](const auto& ev) { return ev.outcome != Outcome::ok; })) {
      return failure("with max_batch_size " + std::to_string(max) + ": " + e->to_text(), j);
    }
    return first_violation_or_corruption(j);
  };
  // Led up to in steps of 8 (max/64, max/8, then max): a sink out of process
  // that answered the smaller batches at its own pace is judged against that
  // pace on the large one (slow, not hung: runners/wire_sink.hpp).
  auto boundary = property(ctx, 1, [&]() -> std::optional<CaseFailure> {
    auto w = Workload::empty(1, 1, 1);
    for (const auto step : {max / 64, max / 8}) {
      if (step >= 1 && (w.cells.front().empty() || step > w.cells.front().back())) w.cells.front().push_back(step);
    }
    w.cells.front().push_back(max);
    return run_case(w, 0);
  });
  if (boundary.kind != CheckOutcome::held) return boundary;
  // 2^e <= size < 2^(e+1), with e below bit_width(max) so 2^e <= max.
  const auto size = rc::gen::mapcat(rc::gen::inRange(0, static_cast<int>(std::bit_width(max))), [max](int e) {
    const auto low = std::uint32_t{1} << e;
    const auto high = static_cast<std::uint32_t>(std::min<std::uint64_t>(2ULL * low, std::uint64_t{max} + 1));
    return rc::gen::inRange<std::uint32_t>(low, high);
  });
  auto generated = property(ctx, ctx.small_budget(), [&]() -> std::optional<CaseFailure> {
    const auto n = *size;
    // Several workers and epochs for the small sizes; a batch of thousands
    // is the point on its own (four of them made this rule a third of a
    // catalogue run out of process).
    const int workers = n <= 4096 ? *rc::gen::inRange(1, 3) : 1;
    const int epochs = n <= 4096 ? *rc::gen::inRange(1, 3) : 1;
    auto w = Workload::empty(workers, 1, epochs);
    for (auto& cell : w.cells) cell.push_back(n);
    return run_case(w, *rc::gen::arbitrary<std::uint64_t>());
  });
  generated.cases += boundary.cases;
  return generated;
}

// A race must show whatever the seed: many short threaded cases, each with
// its workers' calls started together and jittered (perturb_schedule). A race
// shows in some runs of a case, not all, so while a failure is shrunk a
// smaller case counts as passing only once it passed kShrinkRuns runs: the
// shrunk case is one that still fails, not one that failed once by chance.
CheckOutcome sk_2_10(CheckContext& ctx) {
  constexpr int kShrinkRuns = 5;
  auto shape = ctx.shape();
  shape.min_workers = 2;
  shape.max_workers = std::clamp(ctx.options().max_workers, 2, 8);
  shape.max_batches_per_epoch = 4;
  shape.idle_percent = 0;  // every worker writes in every epoch: its calls meet the others'
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    // Full-sized workloads from the first case (RapidCheck's first cases are
    // its smallest: a batch of one item per worker, where calls barely
    // overlap); shrinking still makes them small.
    auto d = *rc::gen::resize(100, rc::gen::exec([&] {
      return draw(shape, FaultMix{.build_failures = false, .write_failures = false, .aborts = false});
    }));
    const int runs = shrinking() ? kShrinkRuns : 2;
    for (int run = 0; run < runs; ++run) {
      auto req = ctx.request(d.workload, d.plan, d.seed + static_cast<std::uint64_t>(run));
      req.simulation.mode = ExecutionMode::threaded;
      req.simulation.perturb_schedule = true;
      if (auto f = first_violation_or_corruption(ctx.run_judged(req))) return f;
    }
    return std::nullopt;
  });
}

CheckOutcome sk_2_11(CheckContext& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    Workload merged = d.workload;
    for (auto& cell : merged.cells) {
      std::uint32_t total = 0;
      for (auto n : cell) total += n;
      if (total == 0) {
        cell.clear();
      } else {
        cell.assign(1, total);
      }
    }
    auto split = ctx.run_judged(ctx.request(d.workload, {}, d.seed));
    auto whole = ctx.run_judged(ctx.request(merged, {}, d.seed));
    if (auto diff = first_readback_difference(split.stored.keys, whole.stored.keys, ctx.caps().ordered_per_partition)) {
      return failure("split batches and their concatenation read back differently: " + *diff, split);
    }
    return std::nullopt;
  });
}

}  // namespace

void add_write_checks(CheckRegistry& registry) {
  registry.add("SK-2.1", sk_2_1);
  registry.add("SK-2.2", sk_2_2);
  registry.add("SK-2.3", sk_2_3);
  registry.add("SK-2.4", sk_2_4);
  registry.add("SK-2.5", sk_2_5);
  registry.add("SK-2.6", sk_2_6);
  registry.add("SK-2.7", sk_2_7);
  registry.add("SK-2.8", sk_2_8);
  registry.add("SK-2.9", sk_2_9);
  registry.add("SK-2.10", sk_2_10);
  registry.add("SK-2.11", sk_2_11);
}

}  // namespace sinkkit::detail::checks
