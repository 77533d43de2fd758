#include "check_context.hpp"

#include <fcntl.h>
#include <poll.h>
#include <rapidcheck.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <sinkkit/detail/signal_text.hpp>
#include <sinkkit/detail/write_all.hpp>
#include <sinkkit/judgement/oracle.hpp>
#include <sinkkit/simulation/generators.hpp>
#include <system_error>
#include <utility>

#include "../simulation/call_journal.hpp"

namespace sinkkit::detail::checks {

namespace fs = std::filesystem;

ScopedTarget::ScopedTarget(const fs::path& root, std::string id, SinkUnderTest* sut)
    : target_{root / id, std::move(id)}, sut_(sut) {
  fs::create_directories(target_.dir);
}

ScopedTarget::~ScopedTarget() {
  if (sut_ != nullptr) {
    try {
      sut_->drop_target(target_);
    } catch (...) {  // NOLINT(bugprone-empty-catch): a drop that fails is the sink's note, never the case's end
    }
  }
  std::error_code ec;  // best effort: a sink may still hold a file open
  fs::remove_all(target_.dir, ec);
}

CheckOutcome held_after(int cases) { return {CheckOutcome::held, cases, {}, {}}; }
CheckOutcome untested(std::string why) { return {CheckOutcome::untested, 0, std::move(why), {}}; }
CheckOutcome not_applicable(std::string why) { return {CheckOutcome::not_applicable, 0, std::move(why), {}}; }

bool from_outside(StorageFaultMechanism m) {
  return m == StorageFaultMechanism::file_system || m == StorageFaultMechanism::network;
}

namespace {

CheckOutcome from_property(PropertyResult r) {
  if (r.held) return held_after(r.cases);
  auto message = r.failure ? r.failure->message : std::string("failed");
  return {CheckOutcome::broken, r.cases, std::move(message), std::move(r.failure)};
}

// Six digits drawn once per process that checks rules (each rule's check
// may be a process of its own; its pid is in the id too), shared by the
// cases it forks. Digits, not letters: a sink's error naming its target (a table) is one
// failure whatever the target, and the kit masks numbers to tell (causes).
const std::string& run_tag() {
  static const std::string tag = [] {
    std::random_device device;
    std::string t;
    for (int i = 0; i < 6; ++i) t += static_cast<char>('0' + device() % 10);
    return t;
  }();
  return tag;
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
  (void)run_tag();  // drawn before any case forks, so the check's targets share it
  root_ = options.scratch.empty() ? fs::temp_directory_path() : options.scratch;
  root_ /= "sinkkit-" + std::to_string(::getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

CheckContext::~CheckContext() {
  std::error_code ec;
  fs::remove_all(root_, ec);
}

std::unique_ptr<ScopedTarget> CheckContext::fresh_target() {
  // The process id keeps apart the cases forked from one check; the run's
  // random part keeps apart runs whose targets outlive them on a server
  // (a sink that cannot drop them, a run that was killed).
  return std::make_unique<ScopedTarget>(
      root_, "t" + std::to_string(::getpid()) + "-" + run_tag() + "-" + std::to_string(next_++), &sut_);
}

int CheckContext::budget() const { return std::max(1, options_.budget); }
int CheckContext::small_budget() const { return std::max(3, options_.budget / 10); }
int CheckContext::crash_budget() const { return std::max(8, options_.budget / 4); }

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
  enter_case_child();
  announce(request);
  return sut_.run(config, request);
}

ReadBack CheckContext::read_back(const nlohmann::json& config, const Trace* trace) {
  enter_case_child();
  auto stored = sut_.read_back(config);
  if (stored.unreadable) throw CaseFailed(unreadable(*stored.unreadable, trace));
  return stored;
}

std::optional<CrashRun> CheckContext::run_and_kill(const nlohmann::json& config, const RunRequest& request,
                                                   KillPoint kill) {
  enter_case_child();
  announce(request);
  return sut_.run_and_kill(config, request, kill);
}

std::optional<PowerCut> CheckContext::run_and_cut_power(const nlohmann::json& config, const TestTarget& target,
                                                        const RunRequest& request, KillPoint cut,
                                                        PowerCutState state) {
  enter_case_child();
  announce(request);
  return sut_.run_and_cut_power(config, target, request, cut, state);
}

std::optional<StatefulRun> CheckContext::run_stateful(const nlohmann::json& config, const StatefulRequest& request) {
  enter_case_child();
  return sut_.run_stateful(config, request);
}

ResourceUsage CheckContext::resource_usage(int workers) {
  enter_case_child();
  bridge_.run([] {});  // its threads start with its first task
  auto usage = sut_.resource_usage(workers);
  if (!usage) throw std::runtime_error("the processes hosting the sink can no longer be inspected");
  return *usage;
}

void CheckContext::collect_garbage() {
  enter_case_child();
  sut_.collect_garbage();
}

// --- isolated cases ----------------------------------------------------------

namespace {

// A case child's last line: "F " + its outcome, or "G " + a generation failure.
constexpr std::string_view kOutcomeTag = "F ";
constexpr std::string_view kGaveUpTag = "G ";
// Before it: "D " + the duplicates it counted (JSON), if any.
constexpr std::string_view kDuplicatesTag = "D ";

void flush_stdio() {
  std::fflush(nullptr);
  std::cout.flush();
  std::cerr.flush();
}

nlohmann::json to_json(const std::optional<CaseFailure>& f) {
  if (!f) return nullptr;
  nlohmann::json j = {{"message", f->message}, {"unprovoked", f->unprovoked}};
  if (f->trace) j["trace"] = f->trace->to_json();
  if (f->verdict) j["verdict"] = f->verdict->to_json();
  return j;
}

std::optional<CaseFailure> case_failure_from_json(const nlohmann::json& j) {
  if (j.is_null()) return std::nullopt;
  CaseFailure f;
  f.message = j.at("message").get<std::string>();
  f.unprovoked = j.value("unprovoked", false);
  if (j.contains("trace")) f.trace = Trace::from_json(j.at("trace"));
  if (j.contains("verdict")) f.verdict = Verdict::from_json(j.at("verdict"));
  return f;
}

std::string seconds_text(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::chrono::duration<double>(d).count());
  return buf;
}

}  // namespace

void CheckContext::begin_case() {
  case_open_ = options_.isolate_cases && !in_case_child();
  ++case_number_;
}

namespace {

// What went wrong in a run, in the words of a duplicate figure.
std::string fault_name(const FiredStorageFault& f) {
  if (f.hook) return "a storage fault (hook)";
  if (f.network) {
    if (f.call == "drop replies") return "replies dropped";
    if (f.call == "drop requests") return "requests dropped";
    if (f.call == "stall") return "a stall";
    return "a connection reset";
  }
  if (f.short_asked > 0) return "a short write";
  return "a failed " + f.call;
}

void add_once(std::vector<std::string>& names, std::string name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
}

}  // namespace

void CheckContext::count_duplicates(const Trace& trace, const Verdict& verdict) {
  if (verdict.total.duplicated == 0 || shrinking()) return;
  for (auto* figure : {&duplicates_, &child_counted_}) {
    if (figure == &child_counted_ && !in_case_child()) continue;
    figure->items += verdict.total.duplicated;
    for (const auto& e : trace.events) {
      if (e.storage_fault) add_once(figure->after, fault_name(*e.storage_fault));
    }
    if (trace.plan.close_calls > 1) add_once(figure->after, "repeated closes");
    if (!trace.plan.write_faults.empty() || trace.plan.fail_build_on_worker || trace.plan.abort_after_epoch) {
      add_once(figure->after, "failed calls");
    }
    if (trace.plan.clean()) add_once(figure->after, "no fault");
  }
  if (counted_case_ != case_number_) {
    counted_case_ = case_number_;
    ++duplicates_.cases;
    if (in_case_child()) ++child_counted_.cases;
  }
}

void CheckContext::add_duplicates(const DuplicateFigure& from_child) {
  duplicates_.items += from_child.items;
  duplicates_.cases += from_child.cases;
  for (const auto& name : from_child.after) add_once(duplicates_.after, name);
}

void CheckContext::enter_case_child() {
  if (!case_open_) return;
  case_open_ = false;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe for a case child");
  flush_stdio();  // or the child writes the parent's buffered output again
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::system_error(err, std::generic_category(), "fork of a case child");
  }
  if (pid == 0) {  // the child: the case goes on here, its calls journalled
    // A fault signal kills the child itself: a sanitizer's report of it costs
    // a symbolizer's start in every shrink step (the check that died first
    // printed one, and the runner keeps that output).
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, SIG_DFL);
    ::close(fds[0]);
    case_child_fd_ = fds[1];
    detail::journal_calls_to(case_child_fd_);
    return;
  }
  ::close(fds[1]);
  throw CaseDecided{wait_for_case_child(pid, fds[0])};
}

void CheckContext::end_case_in_child(const std::optional<CaseFailure>& failure, const std::string& generation_failure) {
  std::string line;
  try {
    if (!generation_failure.empty()) {
      std::string why = generation_failure;
      std::replace(why.begin(), why.end(), '\n', ' ');
      line = std::string(kGaveUpTag) + why;
    } else {
      line = std::string(kOutcomeTag) + to_json(failure).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  } catch (const std::exception& e) {
    line = std::string(kOutcomeTag) + to_json(CaseFailure{std::string("the kit could not report the case: ") + e.what(), {}, {}}).dump();
  }
  if (child_counted_.items > 0) {
    const nlohmann::json d = {{"items", child_counted_.items}, {"cases", child_counted_.cases}, {"after", child_counted_.after}};
    line = std::string(kDuplicatesTag) + d.dump() + "\n" + line;
  }
  detail::journal_calls_to(-1);
  flush_stdio();
  detail::write_all(case_child_fd_, line + "\n");
  ::_exit(0);  // no destructors: the parent owns the check's state
}

std::optional<CaseFailure> CheckContext::wait_for_case_child(int pid, int fd) {
  using clock = std::chrono::steady_clock;
  const auto limit = [this]() -> std::chrono::nanoseconds {
    const std::chrono::nanoseconds call_timeout = options_.call_timeout;
    if (!seen_hang_) return call_timeout;
    // After a hang, the shrink steps hang too: a limit from the sink's pace.
    return std::min<std::chrono::nanoseconds>(
        call_timeout, std::max<std::chrono::nanoseconds>(20 * slowest_gap_, std::chrono::seconds(1)));
  }();
  CallJournal journal;
  std::string pending, outcome_line, gave_up;
  bool got_outcome = false, hung = false;
  auto last = clock::now();
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const auto left = limit - (clock::now() - last);
    if (left <= std::chrono::nanoseconds::zero()) {
      hung = true;
      ::kill(pid, SIGKILL);
      break;
    }
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(
                                        std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1, 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    char buf[65536];
    const auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child is gone (or closed its end)
    pending.append(buf, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      const std::string_view line(pending.data(), nl);
      const auto now = clock::now();
      slowest_gap_ = std::max<std::chrono::nanoseconds>(slowest_gap_, now - last);
      last = now;
      if (line.starts_with(kOutcomeTag)) {
        outcome_line = line.substr(kOutcomeTag.size());
        got_outcome = true;
      } else if (line.starts_with(kGaveUpTag)) {
        gave_up = line.substr(kGaveUpTag.size());
      } else if (line.starts_with(kDuplicatesTag)) {
        try {
          const auto d = nlohmann::json::parse(line.substr(kDuplicatesTag.size()));
          add_duplicates({.items = d.at("items").get<std::int64_t>(), .cases = d.at("cases").get<int>(),
                          .after = d.at("after").get<std::vector<std::string>>()});
        } catch (const std::exception&) {
          // a figure lost is not a verdict lost
        }
      } else {
        journal.take(line);
      }
      pending.erase(0, nl + 1);
    }
  }
  ::close(fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const bool exited_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (exited_ok && !hung && !gave_up.empty()) throw rc::GenerationFailure(gave_up);
  if (exited_ok && !hung && got_outcome) {
    try {
      return case_failure_from_json(nlohmann::json::parse(outcome_line));
    } catch (const std::exception& e) {
      return CaseFailure{std::string("the kit could not read the case child's outcome: ") + e.what(), {}, {}};
    }
  }
  // The sink ended the child: the case fails with the calls up to the fatal one.
  if (hung) seen_hang_ = true;
  const std::string how = hung ? "did not return within " + seconds_text(limit) + " s (hung; the kit killed it)"
                          : WIFSIGNALED(status) ? detail::killed_by_signal(WTERMSIG(status))
                                                : "exited with status " + std::to_string(WEXITSTATUS(status));
  CaseFailure f;
  f.unprovoked = true;  // the sink's own failure, whatever the rule checks
  f.trace = journal.trace_so_far(hung ? "hung" : "crashed", how);
  const TraceEvent* fatal = journal.call_in_flight() ? first_event(*f.trace, [&](const TraceEvent& e) {
    return e.error_kind == (hung ? "hung" : "crashed") && e.message == how;
  })
                                                     : nullptr;
  const std::string what = hung ? "the sink hung" : "the sink crashed (" + how + ")";
  if (fatal != nullptr) {
    f.message = what + " in " + std::string(to_string(fatal->kind)) +
                (fatal->kind == CallKind::write_batch
                     ? (fatal->size == 0 ? " of an empty batch" : " of " + std::to_string(fatal->size) + " items")
                     : " #" + std::to_string(fatal->call)) +
                " on " + to_string(fatal->partition) + (hung ? ": it " + how : "");
  } else {
    f.message = what + " outside the calls of the protocol (in the harness: make_config, read_back)" +
                (hung ? ": " + how : "");
  }
  if (f.trace->events.empty()) f.trace.reset();
  return f;
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
  j.stored = read_back(config, &j.trace);
  j.verdict = Oracle(caps_).judge(j.trace, j.stored.keys);
  count_duplicates(j.trace, j.verdict);
  if (!unprovoked_failure_) unprovoked_failure_ = unprovoked_failure(j, request, caps_);
  if (!exactly_once_duplicates_) exactly_once_duplicates_ = violation(j, ViolationKind::duplicated);
  return j;
}

std::optional<CaseFailure> CheckContext::take_unprovoked_failure() { return std::exchange(unprovoked_failure_, std::nullopt); }

std::optional<CaseFailure> CheckContext::take_duplicates_of_exactly_once() {
  return std::exchange(exactly_once_duplicates_, std::nullopt);
}

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
  auto f = failure(std::to_string(j.stored.corrupted) +
                       " stored items differ from the item written under their key; first: " + j.stored.first_corruption,
                   j);
  f.verdict->violations.push_back({ViolationKind::corrupted, f.message});
  return f;
}

CaseFailure unreadable(const std::string& how, const Trace* trace) {
  CaseFailure f{"the read-back failed: the storage holds what the sink's own reader cannot read (" + how + ")", {}, {}};
  if (trace != nullptr) f.trace = *trace;
  f.verdict.emplace().violations.push_back({ViolationKind::corrupted, f.message});
  return f;
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

const TraceEvent* fired_fault(const Trace& t) {
  return first_event(t, [](const TraceEvent& e) { return e.storage_fault.has_value(); });
}

GeneratedCase draw_with_failures(CheckContext& ctx) {
  auto d = draw(ctx.shape(), no_storage_faults());
  const auto mechanism = ctx.sut().storage_fault_mechanism();
  if (mechanism != StorageFaultMechanism::none && *rc::gen::inRange(0, 3) == 0) {
    d.plan.storage_faults.push_back(draw_storage_fault(d.workload, mechanism));
  }
  return d;
}

CheckOutcome property(CheckContext& ctx, int budget, const CaseBody& body) {
  auto one_case = [&]() -> std::optional<CaseFailure> {
    ctx.begin_case();
    std::optional<CaseFailure> f;
    try {
      (void)ctx.take_unprovoked_failure();  // a case's own runs only
      (void)ctx.take_duplicates_of_exactly_once();
      f = body();
      // The rule's own finding first; else a call that failed unprovoked,
      // else an exactly-once sink's duplicates.
      if (!f) f = ctx.take_unprovoked_failure();
      if (!f) f = ctx.take_duplicates_of_exactly_once();
    } catch (const CaseDecided& decided) {
      return decided.failure;  // the parent of an isolated case
    } catch (...) {
      if (!ctx.in_case_child()) throw;
      // A case child ends here, whatever ended its case: never back into RapidCheck.
      try {
        f = failure_of_current_exception();
      } catch (const rc::GenerationFailure& e) {
        ctx.end_case_in_child(std::nullopt, e.what());
      } catch (...) {
        ctx.end_case_in_child(CaseFailure{"the kit could not complete the case: an unknown exception", {}, {}});
      }
    }
    if (ctx.in_case_child()) ctx.end_case_in_child(f);
    return f;
  };
  return from_property(run_property(ctx.rule().id, rule_seed(ctx.rule(), ctx.options().seed), budget, one_case,
                                    {.deadline = ctx.options().deadline, .findings = ctx.options().findings}));
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

std::chrono::nanoseconds KillPoint::delay_after(std::int64_t acks, std::int64_t acked_ns) const {
  // With no write acknowledged yet, a millisecond stands for one.
  const double mean_ns = acks > 0 ? static_cast<double>(acked_ns) / static_cast<double>(acks) : 1e6;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(into_write * mean_ns));
}

std::string to_string(const KillPoint& k) {
  char into[32];
  std::snprintf(into, sizeof into, "%.2f", k.into_write);
  return "in the write after " + std::to_string(k.after_acks) + " acknowledged, " +
         (k.into_write <= 0 ? std::string("before the sink had it") : std::string(into) + " of a write's time into it");
}

}  // namespace rules
}  // namespace sinkkit
