// One check per rule of the catalogue. Each is a property over generated
// workloads and fault plans, run through the SinkUnderTest interface and
// judged by the Oracle; the catalogue's text says what each one checks.

#include <rapidcheck.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <sinkkit/judgement/oracle.hpp>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/rules/check.hpp>
#include <sinkkit/simulation/generators.hpp>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include "property.hpp"

namespace sinkkit {
inline namespace rules {

namespace {

namespace fs = std::filesystem;
using detail::CaseFailure;

// A fresh directory and id per case, removed when the case ends.
class ScopedTarget {
 public:
  ScopedTarget(const fs::path& root, std::string id) : target_{root / id, std::move(id)} {
    fs::create_directories(target_.dir);
  }
  ~ScopedTarget() {
    std::error_code ec;  // best effort: a sink may still hold a file open
    fs::remove_all(target_.dir, ec);
  }
  ScopedTarget(const ScopedTarget&) = delete;
  ScopedTarget& operator=(const ScopedTarget&) = delete;
  [[nodiscard]] const TestTarget& get() const noexcept { return target_; }

 private:
  TestTarget target_;
};

// How a check ended, before levels turn it into a status.
struct CheckOutcome {
  enum Kind { held, broken, untested, not_applicable } kind = held;
  int cases = 0;
  std::string message;
  std::optional<CaseFailure> failure;
};

CheckOutcome held_after(int cases) { return {CheckOutcome::held, cases, {}, {}}; }
CheckOutcome untested(std::string why) { return {CheckOutcome::untested, 0, std::move(why), {}}; }
CheckOutcome not_applicable(std::string why) { return {CheckOutcome::not_applicable, 0, std::move(why), {}}; }
CheckOutcome from_property(detail::PropertyResult r) {
  if (r.held) return held_after(r.cases);
  auto message = r.failure ? r.failure->message : std::string("failed");
  return {CheckOutcome::broken, r.cases, std::move(message), std::move(r.failure)};
}

// One run judged: what the rules look at.
struct Judged {
  Trace trace;
  ReadBack stored;
  Verdict verdict;
};

// Everything one check needs, shared by its cases.
class Ctx {
 public:
  Ctx(const Rule& rule, SinkUnderTest& sut, const CheckOptions& options)
      : rule_(rule), sut_(sut), options_(options), caps_(sut.capabilities()) {
    root_ = options.scratch.empty() ? fs::temp_directory_path() : options.scratch;
    root_ /= "sinkkit-" + std::to_string(::getpid()) + "-" +
             std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
  }
  ~Ctx() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;

  const Rule& rule() const { return rule_; }
  SinkUnderTest& sut() { return sut_; }
  const Capabilities& caps() const { return caps_; }
  const CheckOptions& options() const { return options_; }
  AsyncBridge& bridge() { return bridge_; }
  SessionManager& session_manager() { return session_manager_; }

  std::unique_ptr<ScopedTarget> fresh_target() {
    return std::make_unique<ScopedTarget>(root_, "t" + std::to_string(::getpid()) + "-" + std::to_string(next_++));
  }

  // The budget for cheap rules, and for rules whose cases cost much more.
  int budget() const { return std::max(1, options_.budget); }
  int small_budget() const { return std::max(3, options_.budget / 10); }

  // Workloads that fit the sink's declared limits.
  WorkloadShape shape() const {
    WorkloadShape s;
    s.max_workers = std::clamp(options_.max_workers, 1, 4);
    s.max_batch_size =
        static_cast<std::uint32_t>(std::min<std::size_t>(64, std::max<std::size_t>(1, caps_.max_batch_size)));
    if (!caps_.accepts_empty_batches) s.empty_batch_percent = 0;
    return s;
  }

  RunRequest request(Workload w, FaultPlan plan, std::uint64_t seed) {
    RunRequest r;
    r.workload = std::move(w);
    r.plan = std::move(plan);
    r.simulation.seed = seed;
    r.simulation.bridge = &bridge_;
    r.simulation.session_manager = &session_manager_;
    return r;
  }

  // Runs `request` on a fresh target and judges the read-back after close.
  Judged run_judged(const RunRequest& request) {
    auto target = fresh_target();
    auto config = sut_.make_config(target->get());
    return run_judged_on(config, request);
  }

  // Every run of a check goes through here, so the runner hears of it first.
  Trace run(const nlohmann::json& config, const RunRequest& request) {
    announce(request);
    return sut_.run(config, request);
  }

  void announce(const RunRequest& request) const {
    if (!options_.on_case) return;
    options_.on_case(std::string(to_string(request.simulation.mode)) +
                     " seed=" + std::to_string(request.simulation.seed) + ", " + request.workload.summary() +
                     "; faults: " + request.plan.describe() +
                     (request.simulation.view == PayloadView::subtype ? "; subtype batches" : ""));
  }

  Judged run_judged_on(const nlohmann::json& config, const RunRequest& request) {
    Judged j;
    j.trace = run(config, request);
    j.stored = sut_.read_back(config);
    j.verdict = Oracle(caps_).judge(j.trace, j.stored.keys);
    return j;
  }

 private:
  const Rule& rule_;
  SinkUnderTest& sut_;
  const CheckOptions& options_;
  Capabilities caps_;
  fs::path root_;
  int next_ = 0;
  AsyncBridge bridge_{1};
  SessionManager session_manager_;
};

// --- helpers shared by the checks ---------------------------------------

std::uint64_t rule_seed(const Rule& rule, std::uint64_t seed) {
  // Each rule explores its own sequence of cases from the run's seed.
  std::uint64_t h = seed ^ 0x9E3779B97F4A7C15ULL;
  for (char c : rule.id) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
  return h;
}

CaseFailure failure(std::string message, const Judged& j) {
  return CaseFailure{std::move(message), j.trace, j.verdict};
}
CaseFailure failure(std::string message, const Trace& t) { return CaseFailure{std::move(message), t, {}}; }

// The first event matching `pred`, or nullptr.
template <class Pred>
const TraceEvent* first_event(const Trace& t, Pred pred) {
  for (const auto& e : t.events)
    if (pred(e)) return &e;
  return nullptr;
}

std::optional<CaseFailure> corrupted(const Judged& j) {
  if (j.stored.corrupted == 0) return std::nullopt;
  return failure(std::to_string(j.stored.corrupted) +
                     " stored items differ from the item written under their key; first: " + j.stored.first_corruption,
                 j);
}

std::optional<CaseFailure> violation(const Judged& j, ViolationKind kind) {
  for (const auto& v : j.verdict.violations)
    if (v.kind == kind) return failure(v.message, j);
  return std::nullopt;
}

// Read-backs compared per partition: as sequences for ordered sinks, as
// multisets otherwise. Returns a description of the first difference.
std::optional<std::string> differ(const std::vector<ItemKey>& a, const std::vector<ItemKey>& b, bool ordered) {
  std::map<std::pair<int, int>, std::vector<ItemKey>> pa, pb;
  for (const auto& k : a) pa[{k.worker, k.branch}].push_back(k);
  for (const auto& k : b) pb[{k.worker, k.branch}].push_back(k);
  if (!ordered) {
    for (auto* m : {&pa, &pb})
      for (auto& [p, keys] : *m) std::sort(keys.begin(), keys.end());
  }
  for (const auto* m : {&pa, &pb}) {
    for (const auto& [p, keys] : *m) {
      const auto& x = pa[p];
      const auto& y = pb[p];
      if (x == y) continue;
      std::size_t i = 0;
      while (i < x.size() && i < y.size() && x[i] == y[i]) ++i;
      auto at = [](const std::vector<ItemKey>& v, std::size_t n) {
        return n < v.size() ? to_string(v[n]) : std::string("(end)");
      };
      return "partition " + to_string(PartitionId{p.first, p.second}) + " differs at item " + std::to_string(i) + ": " +
             at(x, i) + " vs " + at(y, i) + " (" + std::to_string(x.size()) + " vs " + std::to_string(y.size()) +
             " items)";
    }
  }
  return std::nullopt;
}

// A generated case: workload and fault plan within the sink's limits.
struct Drawn {
  Workload workload;
  FaultPlan plan;
  std::uint64_t seed;
};

Drawn draw(WorkloadShape shape, std::optional<FaultMix> mix) {
  Drawn d;
  d.workload = *gen::workload(shape);
  d.plan = mix ? *gen::fault_plan(d.workload, *mix) : FaultPlan{};
  d.seed = *rc::gen::arbitrary<std::uint64_t>();
  return d;
}

FaultMix no_storage_faults() { return FaultMix{}; }

// Runs `body` as the rule's property: `budget` cases from the rule's seed.
CheckOutcome property(Ctx& ctx, int budget, const detail::CaseBody& body) {
  return from_property(detail::run_property(ctx.rule().id, rule_seed(ctx.rule(), ctx.options().seed), budget, body));
}

// A property that runs one generated case and checks the verdict with `judge`.
template <class Judge>
CheckOutcome judged_property(Ctx& ctx, int budget, WorkloadShape shape, std::optional<FaultMix> mix, Judge judge,
                             std::function<void(RunRequest&)> adjust = {}) {
  return property(ctx, budget, [&]() -> std::optional<CaseFailure> {
    auto d = draw(shape, mix);
    auto req = ctx.request(d.workload, d.plan, d.seed);
    if (adjust) adjust(req);
    return judge(ctx.run_judged(req));
  });
}

// --- SK-1: build ---------------------------------------------------------

CheckOutcome sk_1_1(Ctx& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    const int workers = *rc::gen::inRange(1, std::clamp(ctx.options().max_workers, 1, 8) + 1);
    auto req = ctx.request(Workload::empty(workers, 1, 0), {}, *rc::gen::arbitrary<std::uint64_t>());
    auto j = ctx.run_judged(req);
    if (auto* e = first_event(j.trace, [](const auto& ev) { return ev.outcome != Outcome::ok; })) {
      return failure(std::string(to_string(e->kind)) + " of " + to_string(e->partition) + " (worker_count " +
                         std::to_string(workers) + ") threw " + e->error_kind + ": " + e->message,
                     j);
    }
    return std::nullopt;
  });
}

CheckOutcome sk_1_2(Ctx& ctx) {
  auto probe = ctx.fresh_target();
  auto invalid = ctx.sut().invalid_configs(probe->get());
  if (!invalid) return untested("the harness lists no invalid configs (add invalid_configs() to check this rule)");
  if (invalid->empty()) return untested("the harness's invalid_configs() is empty");
  int cases = 0;
  for (const auto& bad : *invalid) {
    ++cases;
    auto target = ctx.fresh_target();
    auto configs = ctx.sut().invalid_configs(target->get());  // the same configs, aimed at this target
    const auto& cfg = configs->at(static_cast<std::size_t>(cases - 1)).config;
    auto req = ctx.request(Workload::empty(1, 1, 0), {}, 0);
    Trace t = ctx.run(cfg, req);
    const auto* build = first_event(t, [](const auto& ev) { return ev.kind == CallKind::build; });
    std::string problem;
    if (build == nullptr) {
      problem = "build was not called";
    } else if (build->outcome == Outcome::ok) {
      if (bad.must_reject) problem = "build accepted it";
    } else if (build->error_kind != "config") {
      problem = "build threw " + build->error_kind + " (" + build->message + "), not a ConfigError";
    } else if (build->message.find(bad.key) == std::string::npos) {
      problem = "the ConfigError's message does not name the key '" + bad.key + "': " + build->message;
    }
    if (problem.empty() && build != nullptr && build->outcome != Outcome::ok) {
      auto stored = ctx.sut().read_back(ctx.sut().make_config(target->get()));
      if (!stored.keys.empty()) problem = "the rejected build left " + std::to_string(stored.keys.size()) + " items";
    }
    if (!problem.empty()) {
      return {CheckOutcome::broken, cases,
              "invalid config " + bad.config.dump() + " (bad key '" + bad.key + "'): " + problem,
              CaseFailure{"invalid config " + bad.config.dump() + ": " + problem, t, {}}};
    }
  }
  return held_after(cases);
}

CheckOutcome sk_1_3(Ctx& ctx) {
  if (!ctx.caps().requires_bridge) return not_applicable("the sink does not declare requires_bridge");
  auto target = ctx.fresh_target();
  auto req = ctx.request(Workload::empty(1, 1, 0), {}, 0);
  req.simulation.bridge = nullptr;
  Trace t = ctx.run(ctx.sut().make_config(target->get()), req);
  const auto* build = first_event(t, [](const auto& ev) { return ev.kind == CallKind::build; });
  std::string lower;
  if (build) {
    for (char c : build->message) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string problem;
  if (build == nullptr) {
    problem = "build was not called";
  } else if (build->outcome == Outcome::ok) {
    problem = "build with a null bridge succeeded";
  } else if (lower.find("bridge") == std::string::npos) {
    problem = "the error does not mention the bridge: " + build->error_kind + ": " + build->message;
  }
  if (!problem.empty()) return {CheckOutcome::broken, 1, problem, CaseFailure{problem, t, {}}};
  return held_after(1);
}

CheckOutcome sk_1_4(Ctx& ctx) {
  auto shape = ctx.shape();
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    const int workers = *rc::gen::inRange(1, shape.max_workers + 1);
    const int branches = ctx.sut().router_branch_safe() ? *rc::gen::inRange(1, 3) : 1;
    auto j = ctx.run_judged(ctx.request(Workload::empty(workers, branches, 0), {}, 0));
    if (!j.stored.keys.empty()) {
      return failure("build and close alone left " + std::to_string(j.stored.keys.size()) +
                         " items; first: " + to_string(j.stored.keys[0]),
                     j);
    }
    return std::nullopt;
  });
}

// --- SK-2: writing -------------------------------------------------------

CheckOutcome sk_2_1(Ctx& ctx) {
  if (ctx.caps().durability == Durability::on_close) {
    return judged_property(ctx, ctx.budget(), ctx.shape(), no_storage_faults(),
                           [](const Judged& j) { return violation(j, ViolationKind::lost); });
  }
  // on_return: read back after every acknowledged write.
  return property(ctx, ctx.small_budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), no_storage_faults());
    auto target = ctx.fresh_target();
    auto config = ctx.sut().make_config(target->get());
    std::unordered_set<ItemKey> acked;
    std::optional<std::string> problem;
    auto req = ctx.request(d.workload, d.plan, d.seed);
    req.simulation.after_write = [&](const TraceEvent& e) {
      for (std::uint32_t i = 0; i < e.size; ++i) acked.insert(e.key(i));
      if (problem) return;
      auto stored = ctx.sut().read_back(config);
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
    if (problem) return failure(*problem, t);
    return std::nullopt;
  });
}

CheckOutcome sk_2_2(Ctx& ctx) {
  if (!ctx.caps().ordered_per_partition) return not_applicable("the sink does not declare ordered_per_partition");
  return judged_property(ctx, ctx.budget(), ctx.shape(), no_storage_faults(),
                         [](const Judged& j) { return violation(j, ViolationKind::reordered); });
}

CheckOutcome sk_2_3(Ctx& ctx) {
  return judged_property(ctx, ctx.budget(), ctx.shape(), no_storage_faults(),
                         [](const Judged& j) { return violation(j, ViolationKind::lost); });
}

CheckOutcome sk_2_4(Ctx& ctx) {
  return judged_property(
      ctx, ctx.budget(), ctx.shape(), no_storage_faults(),
      [](const Judged& j) {
        if (auto f = violation(j, ViolationKind::unexpected)) return f;
        return corrupted(j);
      },
      [](RunRequest& r) { r.simulation.poison_batches = false; });  // retention is SK-2.7's business
}

CheckOutcome sk_2_5(Ctx& ctx) {
  if (ctx.caps().delivery != Delivery::exactly_once) return not_applicable("the sink declares at_least_once delivery");
  return judged_property(ctx, ctx.budget(), ctx.shape(), no_storage_faults(),
                         [](const Judged& j) { return violation(j, ViolationKind::duplicated); });
}

std::optional<CaseFailure> unclean(const Judged& j) {
  if (!j.verdict.clean()) return failure(j.verdict.violations.front().message, j);
  return corrupted(j);
}

CheckOutcome sk_2_6(Ctx& ctx) {
  if (!ctx.sut().accepts_subtype_batches()) {
    return not_applicable(
        "the sink cannot be handed batches of a payload subtype (payload not a non-final class, "
        "or the sink runs out of process)");
  }
  return judged_property(ctx, ctx.budget(), ctx.shape(), no_storage_faults(), unclean,
                         [](RunRequest& r) { r.simulation.view = PayloadView::subtype; });
}

CheckOutcome sk_2_7(Ctx& ctx) {
  return judged_property(
      ctx, ctx.budget(), ctx.shape(), no_storage_faults(),
      [](const Judged& j) -> std::optional<CaseFailure> {
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

CheckOutcome sk_2_8(Ctx& ctx) {
  if (!ctx.caps().accepts_empty_batches) {
    return {CheckOutcome::broken, 0,
            "the sink declares accepts_empty_batches = false, but the runtime delivers an empty batch now and then",
            std::nullopt};
  }
  auto shape = ctx.shape();
  shape.empty_batch_percent = 40;
  return judged_property(
      ctx, ctx.budget(), shape, FaultMix{.build_failures = false, .write_failures = false, .aborts = false},
      [](const Judged& j) -> std::optional<CaseFailure> {
        if (auto* e = first_event(j.trace, [](const auto& ev) {
              return ev.kind == CallKind::write_batch && ev.size == 0 && ev.sink_outcome != Outcome::ok;
            })) {
          return failure("an empty write_batch threw: " + e->to_text(), j);
        }
        return unclean(j);
      });
}

CheckOutcome sk_2_9(Ctx& ctx) {
  const auto max = static_cast<std::uint32_t>(std::max<std::size_t>(1, ctx.caps().max_batch_size));
  return property(ctx, ctx.small_budget(), [&]() -> std::optional<CaseFailure> {
    const int workers = *rc::gen::inRange(1, 3);
    const int epochs = *rc::gen::inRange(1, 3);
    auto w = Workload::empty(workers, 1, epochs);
    auto size = rc::gen::weightedOneOf<std::uint32_t>(
        {{1, rc::gen::just(max)}, {1, rc::gen::just(1U)}, {2, rc::gen::inRange<std::uint32_t>(1, max + 1)}});
    for (auto& cell : w.cells) cell.push_back(*size);
    auto j = ctx.run_judged(ctx.request(w, {}, *rc::gen::arbitrary<std::uint64_t>()));
    if (auto* e = first_event(j.trace, [](const auto& ev) { return ev.outcome != Outcome::ok; })) {
      return failure("with max_batch_size " + std::to_string(max) + ": " + e->to_text(), j);
    }
    return unclean(j);
  });
}

CheckOutcome sk_2_10(Ctx& ctx) {
  auto shape = ctx.shape();
  shape.min_workers = 2;
  shape.max_workers = std::clamp(ctx.options().max_workers, 2, 8);
  shape.max_batches_per_epoch = 4;
  return judged_property(ctx, std::max(5, ctx.budget() / 4), shape,
                         FaultMix{.build_failures = false, .write_failures = false, .aborts = false}, unclean,
                         [](RunRequest& r) { r.simulation.mode = ExecutionMode::threaded; });
}

CheckOutcome sk_2_11(Ctx& ctx) {
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
    if (auto diff = differ(split.stored.keys, whole.stored.keys, ctx.caps().ordered_per_partition)) {
      return failure("split batches and their concatenation read back differently: " + *diff, split);
    }
    return std::nullopt;
  });
}

// --- SK-3: close ---------------------------------------------------------

CheckOutcome sk_3_1(Ctx& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    FaultPlan repeated;
    repeated.close_calls = *rc::gen::inRange(2, 6);
    auto once = ctx.run_judged(ctx.request(d.workload, {}, d.seed));
    auto many = ctx.run_judged(ctx.request(d.workload, repeated, d.seed));
    if (auto* e = first_event(many.trace, [](const auto& ev) {
          return ev.kind == CallKind::close && ev.call > 0 && ev.outcome != Outcome::ok;
        })) {
      return failure("a repeated close threw: " + e->to_text(), many);
    }
    if (auto diff = differ(once.stored.keys, many.stored.keys, true)) {
      return failure("close x1 and close x" + std::to_string(repeated.close_calls) + " read back differently: " + *diff,
                     many);
    }
    return std::nullopt;
  });
}

std::optional<CaseFailure> close_threw(const Judged& j) {
  if (auto* e = first_event(j.trace,
                            [](const auto& ev) { return ev.kind == CallKind::close && ev.outcome != Outcome::ok; })) {
    return failure("close threw: " + e->to_text(), j);
  }
  return std::nullopt;
}

CheckOutcome sk_3_2(Ctx& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    FaultPlan plan;
    // Some partitions idle, or all of them, or a run with no epoch at all.
    const int choice = *rc::gen::inRange(0, 3);
    if (choice == 2) d.workload = Workload::empty(d.workload.workers, d.workload.branches, 0);
    for (int w = 0; w < d.workload.workers; ++w) {
      if (choice == 1 || w % 2 == 0) plan.no_writes.push_back({w, 0});
    }
    return close_threw(ctx.run_judged(ctx.request(d.workload, plan, d.seed)));
  });
}

CheckOutcome sk_3_3(Ctx& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), no_storage_faults());
    // Make sure something fails: the plan's faults, or one more.
    if (d.plan.write_faults.empty() && !d.plan.fail_build_on_worker && !d.plan.abort_after_epoch) {
      const int kind = *rc::gen::inRange(0, 3);
      const int w = *rc::gen::inRange(0, d.workload.workers);
      if (kind == 0) d.plan.write_faults.push_back({w, 0, 0, FaultTiming::after_forwarding});
      if (kind == 1) d.plan.fail_build_on_worker = w;
      if (kind == 2) d.plan.abort_after_epoch = 0;
    }
    return close_threw(ctx.run_judged(ctx.request(d.workload, d.plan, d.seed)));
  });
}

CheckOutcome sk_3_4(Ctx& ctx) {
  return judged_property(
      ctx, ctx.budget(), ctx.shape(), std::nullopt, [](const Judged& j) -> std::optional<CaseFailure> {
        for (const auto& pv : j.verdict.partitions) {
          if (pv.counts.durable < pv.counts.acknowledged) {
            return failure("after close, " + to_string(pv.partition) + " holds " + std::to_string(pv.counts.durable) +
                               " of its " + std::to_string(pv.counts.acknowledged) +
                               " acknowledged items; first missing: " +
                               (pv.first_lost.empty() ? std::string("?") : to_string(pv.first_lost.front())),
                           j);
          }
        }
        return std::nullopt;
      });
}

CheckOutcome sk_3_5(Ctx& ctx) {
  if (!ctx.sut().resource_usage()) return untested("the process hosting the sink cannot be inspected");
  return property(ctx, ctx.small_budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    auto target = ctx.fresh_target();
    auto config = ctx.sut().make_config(target->get());
    const auto before = *ctx.sut().resource_usage();
    Trace t = ctx.run(config, ctx.request(d.workload, {}, d.seed));
    const auto after = *ctx.sut().resource_usage();
    if (after.open_fds > before.open_fds || after.threads > before.threads) {
      return failure("after close the process has " + std::to_string(after.open_fds) + " open descriptors and " +
                         std::to_string(after.threads) + " threads, before build it had " +
                         std::to_string(before.open_fds) + " and " + std::to_string(before.threads),
                     t);
    }
    return std::nullopt;
  });
}

CheckOutcome sk_3_6(Ctx& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    FaultPlan plan;
    plan.write_after_close.push_back({*rc::gen::inRange(0, d.workload.workers), 0});
    auto j = ctx.run_judged(ctx.request(d.workload, plan, d.seed));
    const auto* late = first_event(j.trace, [](const auto& ev) { return ev.after_close; });
    if (late == nullptr || late->sink_outcome != Outcome::ok) return std::nullopt;
    const auto& pv = j.verdict.of(late->partition);
    std::string dropped = pv.counts.lost > 0 ? ", and its items are not stored" : "";
    return failure("write_batch after close returned normally" + dropped + ": " + late->to_text(), j);
  });
}

// --- SK-4: faults --------------------------------------------------------

CheckOutcome storage_fault_property(Ctx& ctx, bool keep_writing) {
  if (!ctx.sut().can_fail_storage()) {
    return untested(
        "the sink cannot be made to fail its storage (a harness: add arm_storage_fault; a sink process: declare "
        "fault_injection and answer the fault op)");
  }
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), FaultMix{.build_failures = false, .write_failures = false});
    const int w = *rc::gen::inRange(0, d.workload.workers);
    const auto after = *rc::gen::inRange<std::int64_t>(0, 120);
    d.plan.storage_faults.push_back({w, 0, after});
    d.plan.keep_writing_after_failure = keep_writing;
    auto j = ctx.run_judged(ctx.request(d.workload, d.plan, d.seed));
    if (auto f = violation(j, ViolationKind::lost)) return f;
    return violation(j, ViolationKind::gap);
  });
}

CheckOutcome sk_4_1(Ctx& ctx) { return storage_fault_property(ctx, false); }
CheckOutcome sk_4_2(Ctx& ctx) { return storage_fault_property(ctx, true); }

CheckOutcome sk_4_3(Ctx& ctx) {
  if (!ctx.caps().survives_crash) return not_applicable("the sink does not declare survives_crash");
  if (ctx.caps().durability != Durability::on_return) {
    return not_applicable("the sink's durability is on_close: nothing is promised before close");
  }
  return property(ctx, ctx.small_budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    const auto kill_after = *rc::gen::inRange<std::int64_t>(0, std::max<std::int64_t>(1, d.workload.total_batches()));
    auto target = ctx.fresh_target();
    auto config = ctx.sut().make_config(target->get());
    auto req = ctx.request(d.workload, {}, d.seed);
    req.simulation.bridge = nullptr;  // the child makes its own
    req.simulation.session_manager = nullptr;
    ctx.announce(req);
    auto crash = ctx.sut().run_and_kill(config, req, kill_after);
    if (!crash) throw std::runtime_error("the sink under test cannot be run in a process of its own");
    // Recovery: a fresh build and close on every worker, then read back.
    auto recovery = ctx.request(Workload::empty(d.workload.workers, 1, 0), {}, 0);
    ctx.run(config, recovery);
    Judged j;
    j.trace = std::move(crash->acknowledged);
    j.stored = ctx.sut().read_back(config);
    JudgeOptions opts;
    j.verdict = Oracle(ctx.caps(), opts).judge(j.trace, j.stored.keys);
    if (auto f = violation(j, ViolationKind::lost)) {
      const auto acked = std::ranges::count_if(j.trace.events, [](const TraceEvent& e) { return e.outcome == Outcome::ok; });
      f->message = "killed after " + std::to_string(acked) + " acknowledged writes (" + crash->note + "): " + f->message;
      return f;
    }
    if (auto f = violation(j, ViolationKind::unexpected)) return f;
    return corrupted(j);
  });
}

// Both runs of SK-4.4 as one trace for the oracle: partitions are matched by
// (worker, branch), and the second run's seqs start after the first run's.
Trace merge(const Trace& a, const Trace& b) {
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

CheckOutcome sk_4_4(Ctx& ctx) {
  if (!ctx.caps().survives_crash) return not_applicable("the sink does not declare survives_crash");
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
    for (int w = 0; w < first.workload.workers; ++w) {
      std::int64_t n = 0;
      for (int e = 0; e < first.workload.epochs; ++e)
        for (auto size : first.workload.batches(w, 0, e)) n += size;
      max_items = std::max(max_items, n);
    }
    req2.simulation.first_seq = max_items;
    Trace t2 = ctx.run(config, req2);
    Judged j;
    j.trace = merge(t1, t2);
    j.stored = ctx.sut().read_back(config);
    j.verdict = Oracle(ctx.caps()).judge(j.trace, j.stored.keys);
    const std::string what = std::string("rescaled ") + (up ? "2 -> 4" : "4 -> 2") + " workers: ";
    for (auto kind : {ViolationKind::lost, ViolationKind::unexpected, ViolationKind::duplicated}) {
      if (auto f = violation(j, kind)) {
        f->message = what + f->message;
        return f;
      }
    }
    return corrupted(j);
  });
}

// --- SK-5: router branches -----------------------------------------------

CheckOutcome sk_5_1(Ctx& ctx) {
  if (!ctx.sut().router_branch_safe()) return not_applicable("the node is not router_branch_safe");
  auto shape = ctx.shape();
  shape.max_workers = std::min(shape.max_workers, 3);
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto s = shape;
    s.branches = *rc::gen::inRange(2, 4);
    auto d = draw(s, std::nullopt);
    return unclean(ctx.run_judged(ctx.request(d.workload, {}, d.seed)));
  });
}

// --- SK-6: runtime resources ---------------------------------------------

CheckOutcome sk_6_1(Ctx& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    auto req = ctx.request(d.workload, d.plan, d.seed);
    std::optional<std::string> problem;
    req.simulation.after_close = [&](const TraceEvent& e) {
      const auto n = ctx.bridge().in_flight();
      if (!problem && n > 0) {
        problem = std::to_string(n) + " bridge tasks still queued or running when " + e.to_text() + " returned";
      }
    };
    auto j = ctx.run_judged(req);
    if (problem) return failure(*problem, j);
    return std::nullopt;
  });
}

CheckOutcome sk_6_2(Ctx& ctx) {
  return property(ctx, ctx.budget(), [&]() -> std::optional<CaseFailure> {
    auto d = draw(ctx.shape(), std::nullopt);
    auto j = ctx.run_judged(ctx.request(d.workload, d.plan, d.seed));
    if (ctx.session_manager().disposed()) return failure("the sink disposed the session manager", j);
    if (auto n = ctx.session_manager().leased(); n != 0) {
      return failure(std::to_string(n) + " sessions borrowed from the session manager were not returned by close", j);
    }
    return std::nullopt;
  });
}

using CheckFn = CheckOutcome (*)(Ctx&);

const std::map<std::string_view, CheckFn>& checks() {
  static const std::map<std::string_view, CheckFn> table = {
      {"SK-1.1", sk_1_1}, {"SK-1.2", sk_1_2}, {"SK-1.3", sk_1_3}, {"SK-1.4", sk_1_4},   {"SK-2.1", sk_2_1},
      {"SK-2.2", sk_2_2}, {"SK-2.3", sk_2_3}, {"SK-2.4", sk_2_4}, {"SK-2.5", sk_2_5},   {"SK-2.6", sk_2_6},
      {"SK-2.7", sk_2_7}, {"SK-2.8", sk_2_8}, {"SK-2.9", sk_2_9}, {"SK-2.10", sk_2_10}, {"SK-2.11", sk_2_11},
      {"SK-3.1", sk_3_1}, {"SK-3.2", sk_3_2}, {"SK-3.3", sk_3_3}, {"SK-3.4", sk_3_4},   {"SK-3.5", sk_3_5},
      {"SK-3.6", sk_3_6}, {"SK-4.1", sk_4_1}, {"SK-4.2", sk_4_2}, {"SK-4.3", sk_4_3},   {"SK-4.4", sk_4_4},
      {"SK-5.1", sk_5_1}, {"SK-6.1", sk_6_1}, {"SK-6.2", sk_6_2},
  };
  return table;
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
      return level == RuleLevel::should ? RuleStatus::warning : RuleStatus::failed;
  }
  return RuleStatus::failed;
}

}  // namespace

bool has_check(std::string_view id) { return checks().contains(id); }

RuleResult check_rule(const Rule& rule, SinkUnderTest& sut, const CheckOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  RuleResult r;
  r.id = std::string(rule.id);
  r.level = rule.level;
  r.seed = options.seed;
  CheckOutcome outcome;
  auto it = checks().find(rule.id);
  if (it == checks().end()) {
    outcome = untested("this kit has no check for " + std::string(rule.id));
  } else {
    try {
      Ctx ctx(rule, sut, options);
      outcome = it->second(ctx);
    } catch (const std::exception& e) {
      outcome = {CheckOutcome::broken, 0, std::string("the check could not run: ") + e.what(), std::nullopt};
    }
    sut.release();
  }
  r.status = status_of(outcome, rule.level);
  r.cases = outcome.cases;
  r.message = outcome.message;
  if (outcome.failure) {
    const auto& f = *outcome.failure;
    if (f.trace) {
      r.counterexample = f.trace->to_text(120);
      r.counterexample_trace = f.trace->to_json();
    }
    if (f.verdict) {
      r.counts = f.verdict->total;
      r.counterexample += f.verdict->to_text();
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace rules
}  // namespace sinkkit
