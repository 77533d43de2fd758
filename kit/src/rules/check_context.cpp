#include "check_context.hpp"

#include <rapidcheck.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sinkkit/judgement/oracle.hpp>
#include <sinkkit/simulation/generators.hpp>
#include <system_error>
#include <utility>

namespace sinkkit::detail::checks {

namespace fs = std::filesystem;

ScopedTarget::ScopedTarget(const fs::path& root, std::string id) : target_{root / id, std::move(id)} {
  fs::create_directories(target_.dir);
}

ScopedTarget::~ScopedTarget() {
  std::error_code ec;  // best effort: a sink may still hold a file open
  fs::remove_all(target_.dir, ec);
}

CheckOutcome held_after(int cases) { return {CheckOutcome::held, cases, {}, {}}; }
CheckOutcome untested(std::string why) { return {CheckOutcome::untested, 0, std::move(why), {}}; }
CheckOutcome not_applicable(std::string why) { return {CheckOutcome::not_applicable, 0, std::move(why), {}}; }

namespace {

CheckOutcome from_property(PropertyResult r) {
  if (r.held) return held_after(r.cases);
  auto message = r.failure ? r.failure->message : std::string("failed");
  return {CheckOutcome::broken, r.cases, std::move(message), std::move(r.failure)};
}

std::uint64_t rule_seed(const Rule& rule, std::uint64_t seed) {
  // Each rule explores its own sequence of cases from the run's seed.
  std::uint64_t h = seed ^ 0x9E3779B97F4A7C15ULL;
  for (char c : rule.id) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
  return h;
}

}  // namespace

// --- CheckContext ----------------------------------------------------------

CheckContext::CheckContext(const Rule& rule, SinkUnderTest& sut, const CheckOptions& options)
    : rule_(rule), sut_(sut), options_(options), caps_(sut.capabilities()) {
  root_ = options.scratch.empty() ? fs::temp_directory_path() : options.scratch;
  root_ /= "sinkkit-" + std::to_string(::getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

CheckContext::~CheckContext() {
  std::error_code ec;
  fs::remove_all(root_, ec);
}

std::unique_ptr<ScopedTarget> CheckContext::fresh_target() {
  return std::make_unique<ScopedTarget>(root_, "t" + std::to_string(::getpid()) + "-" + std::to_string(next_++));
}

int CheckContext::budget() const { return std::max(1, options_.budget); }
int CheckContext::small_budget() const { return std::max(3, options_.budget / 10); }

WorkloadShape CheckContext::shape() const {
  WorkloadShape s;
  s.max_workers = std::clamp(options_.max_workers, 1, 4);
  s.max_batch_size =
      static_cast<std::uint32_t>(std::min<std::size_t>(64, std::max<std::size_t>(1, caps_.max_batch_size)));
  if (!caps_.accepts_empty_batches) s.empty_batch_percent = 0;
  return s;
}

RunRequest CheckContext::request(Workload w, FaultPlan plan, std::uint64_t seed) {
  RunRequest r;
  r.workload = std::move(w);
  r.plan = std::move(plan);
  r.simulation.seed = seed;
  r.simulation.bridge = &bridge_;
  r.simulation.session_manager = &session_manager_;
  r.target_root = root_;
  return r;
}

JudgedRun CheckContext::run_judged(const RunRequest& request) {
  auto target = fresh_target();
  auto config = sut_.make_config(target->get());
  return run_judged_on(config, request);
}

Trace CheckContext::run(const nlohmann::json& config, const RunRequest& request) {
  announce(request);
  return sut_.run(config, request);
}

void CheckContext::announce(const RunRequest& request) const {
  if (!options_.on_case) return;
  options_.on_case(std::string(to_string(request.simulation.mode)) +
                   " seed=" + std::to_string(request.simulation.seed) + ", " + request.workload.summary() +
                   "; faults: " + request.plan.describe() +
                   (request.simulation.view == PayloadView::subtype ? "; subtype batches" : ""));
}

JudgedRun CheckContext::run_judged_on(const nlohmann::json& config, const RunRequest& request) {
  JudgedRun j;
  j.trace = run(config, request);
  j.stored = sut_.read_back(config);
  j.verdict = Oracle(caps_).judge(j.trace, j.stored.keys);
  if (!unprovoked_failure_) unprovoked_failure_ = unprovoked_failure(j, request, caps_);
  return j;
}

std::optional<CaseFailure> CheckContext::take_unprovoked_failure() { return std::exchange(unprovoked_failure_, std::nullopt); }

// --- helpers ---------------------------------------------------------------

CaseFailure failure(std::string message, const JudgedRun& j) {
  return CaseFailure{std::move(message), j.trace, j.verdict};
}
CaseFailure failure(std::string message, const Trace& t) { return CaseFailure{std::move(message), t, {}}; }

std::optional<CaseFailure> unprovoked_failure(const JudgedRun& j, const RunRequest& request, const Capabilities& caps) {
  if (!request.plan.clean()) return std::nullopt;
  const auto* e = first_event(j.trace, [&](const TraceEvent& ev) {
    return ev.sink_failed_on_its_own() && !(ev.kind == CallKind::write_batch && ev.size == 0 && !caps.accepts_empty_batches);
  });
  if (e == nullptr) return std::nullopt;
  auto f = failure(std::string(to_string(e->kind)) + " failed in a case with no fault injected (the sink's own failure): " +
                       e->to_text(),
                   j);
  f.unprovoked = true;
  return f;
}

std::optional<CaseFailure> corrupted(const JudgedRun& j) {
  if (j.stored.corrupted == 0) return std::nullopt;
  return failure(std::to_string(j.stored.corrupted) +
                     " stored items differ from the item written under their key; first: " + j.stored.first_corruption,
                 j);
}

std::optional<CaseFailure> violation(const JudgedRun& j, ViolationKind kind) {
  for (const auto& v : j.verdict.violations)
    if (v.kind == kind) return failure(v.message, j);
  return std::nullopt;
}

std::optional<CaseFailure> first_violation_or_corruption(const JudgedRun& j) {
  if (!j.verdict.clean()) return failure(j.verdict.violations.front().message, j);
  return corrupted(j);
}

std::optional<std::string> first_readback_difference(const std::vector<ItemKey>& a, const std::vector<ItemKey>& b,
                                                     bool ordered) {
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

GeneratedCase draw(WorkloadShape shape, std::optional<FaultMix> mix) {
  GeneratedCase d;
  d.workload = *gen::workload(shape);
  d.plan = mix ? *gen::fault_plan(d.workload, *mix) : FaultPlan{};
  d.seed = *rc::gen::arbitrary<std::uint64_t>();
  return d;
}

FaultMix no_storage_faults() { return FaultMix{}; }

CheckOutcome property(CheckContext& ctx, int budget, const CaseBody& body) {
  return from_property(run_property(ctx.rule().id, rule_seed(ctx.rule(), ctx.options().seed), budget,
                                    [&]() -> std::optional<CaseFailure> {
                                      (void)ctx.take_unprovoked_failure();  // a case's own runs only
                                      auto f = body();
                                      // The rule's own finding first; else a call that failed unprovoked.
                                      if (!f) f = ctx.take_unprovoked_failure();
                                      return f;
                                    }));
}

}  // namespace sinkkit::detail::checks

namespace sinkkit {
inline namespace rules {

std::string to_string(StorageFaultMechanism m) {
  switch (m) {
    case StorageFaultMechanism::none: return "none";
    case StorageFaultMechanism::hook: return "hook";
    case StorageFaultMechanism::file_system: return "file system";
    case StorageFaultMechanism::network: return "network";
  }
  return "unknown";
}

}  // namespace rules
}  // namespace sinkkit
