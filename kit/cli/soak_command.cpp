// `sinkkit soak`: the rule catalogue (or some rules, or a shard of them)
// checked again and again, each round at a fresh seed, until a duration is
// up; every distinct cause it finds kept, shrunk, with its replay line.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <set>
#include <sstream>
#include <system_error>
#include <vector>

#include <unistd.h>

#include <sinkkit/detail/utc.hpp>
#include <sinkkit/reports/report.hpp>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/rules/causes.hpp>
#include <sinkkit/runners/allow_list.hpp>
#include <sinkkit/runners/interruption.hpp>
#include <sinkkit/runners/sink_process.hpp>
#include <sinkkit/runners/soak.hpp>
#include <sinkkit/runners/wire_sink.hpp>
#include <sinkkit/simulation/trace.hpp>
#include <sinkkit/simulation/workload.hpp>

#include "commands.hpp"
#include "options.hpp"
#include "suite_run.hpp"

namespace sinkkit::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct SoakArgs {
  RunArgs run;
  std::string duration;
  int rounds = 0;  // 0: as many as the time allows
};

// --duration as a CLI error.
std::chrono::seconds duration_of(const std::string& text) {
  try {
    return parse_duration(text);
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError("--duration", e.what());
  }
}

int rank(RuleStatus s) {
  switch (s) {
    case RuleStatus::failed: return 4;
    case RuleStatus::warning: return 3;
    case RuleStatus::passed: return 2;
    case RuleStatus::untested: return 1;
    case RuleStatus::not_applicable: return 0;
  }
  return 0;
}

bool judged(const RuleResult& r) { return r.status == RuleStatus::passed || r.broken(); }

// A rule a round did not check: a signal or the soak's end came first.
bool unrun(const RuleResult& r) { return is_not_run(r) || r.message == detail::kNotStartedInTime; }

// What the rounds found so far: each rule's worst result (its first
// failure, shrunk, its round's seed in its replay line) with the cases of
// every round summed, a rule no round reached as its round said (untested,
// "not run" or "not started"); each distinct cause once.
class SoakFindings {
 public:
  // Adds a round's rules and causes; returns how many rules it judged
  // (passed, failed or warned: not those a signal or the time left unrun).
  int add_round(const SuiteResult& round) {
    int judged_now = 0;
    for (const auto& r : round.rules) {
      judged_now += !unrun(r) && judged(r) ? 1 : 0;
      auto [at, fresh] = rules_.try_emplace(r.id, r);
      if (unrun(r)) continue;  // kept only while no round reached it
      cases_ += r.cases;
      if (fresh) continue;
      auto& kept = at->second;
      const bool kept_unrun = unrun(kept);
      const long long cases = (kept_unrun ? 0LL : kept.cases) + r.cases;
      const double seconds = (kept_unrun ? 0.0 : kept.seconds) + r.seconds;
      if (kept_unrun || rank(r.status) > rank(kept.status)) kept = r;
      kept.cases = static_cast<int>(std::min<long long>(cases, std::numeric_limits<int>::max()));
      kept.seconds = seconds;
    }
    for (const auto& c : round.causes) add_cause(c, round);
    return judged_now;
  }
  [[nodiscard]] std::size_t causes() const { return causes_.size(); }
  [[nodiscard]] long long cases() const { return cases_; }
  [[nodiscard]] const std::string& reproduce(std::size_t i) const { return causes_[i].reproduce; }
  // The rules and causes into `out` (its metadata the caller's).
  void fill(SuiteResult& out) const {
    out.rules.clear();
    for (const auto& [id, r] : rules_) out.rules.push_back(r);
    std::stable_sort(out.rules.begin(), out.rules.end(),
                     [](const RuleResult& a, const RuleResult& b) { return rule_id_less(a.id, b.id); });
    out.causes.clear();
    for (const auto& f : causes_) out.causes.push_back(f.cause);
  }

 private:
  struct Found {
    Cause cause;
    std::string key;        // Cause::key: the same in every round that finds it
    std::string reproduce;  // the replay line of the round that found it
  };

  static std::set<std::string> rules_of(const Cause& c) {
    std::set<std::string> all(c.also.begin(), c.also.end());
    all.insert(c.rule);
    return all;
  }

  // One bug found again at another seed shrinks to other numbers and lists
  // other keys, and may break more rules (or fewer) in one round than in
  // another: what its counterexamples share (`Cause::key`, as one run groups
  // rules into causes) says it is the same cause; the one that saw the most
  // rules names it.
  void add_cause(const Cause& c, const SuiteResult& round) {
    Found fresh{c, c.key, ""};
    if (fresh.key.empty()) {  // a cause not found by find_causes: by its summary, numbers masked, keys listed cut
      auto text = c.summary;
      if (const auto first = text.find("; first"); first != std::string::npos) text.resize(first);
      fresh.key = c.rule + "|" + detail::mask_numbers(text);
    }
    if (const auto* r = round.find(c.rule)) fresh.reproduce = r->reproduce;
    auto rules = rules_of(c);
    std::size_t widest = rules.size();
    std::vector<Found> kept;
    constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    std::size_t place = kNone;  // where the first cause it joins was
    for (auto& f : causes_) {
      if (f.key != fresh.key) {
        kept.push_back(std::move(f));
        continue;
      }
      const auto theirs = rules_of(f.cause);
      if (place == kNone) place = kept.size();
      rules.insert(theirs.begin(), theirs.end());
      // The one that saw the most rules names the cause (the first on a tie:
      // its replay line was shown first); an empty replay line never wins.
      if (theirs.size() >= widest && !f.reproduce.empty()) {
        widest = theirs.size();
        fresh.cause.rule = f.cause.rule;
        fresh.cause.summary = f.cause.summary;
        fresh.reproduce = f.reproduce;
      }
    }
    rules.erase(fresh.cause.rule);
    fresh.cause.also.assign(rules.begin(), rules.end());
    std::ranges::sort(fresh.cause.also, [](const std::string& a, const std::string& b) { return rule_id_less(a, b); });
    // In the place of the first it joined: causes keep the order they were found in.
    kept.insert(kept.begin() + static_cast<std::ptrdiff_t>(std::min(place, kept.size())), std::move(fresh));
    causes_ = std::move(kept);
  }

  std::map<std::string, RuleResult> rules_;
  std::vector<Found> causes_;
  long long cases_ = 0;
};

// Why the sink can no longer build and close a partition on a fresh
// target, if it cannot: a soak whose sink went down (its server gone, its
// disk full, its process no longer starting) would otherwise repeat the same
// failures until the time is up. A sink process of its own, outside the
// soak's fork server (a run from this process disturbed the forks the
// rounds' checks make of it).
std::optional<std::string> sink_is_down(const Common& c, const std::filesystem::path& scratch, int round) {
  // An id of its own, as the rules' targets have (digits: the kit masks
  // them when it tells causes apart): soaks sharing a server do not meet.
  std::random_device device;
  std::string id = "t" + std::to_string(::getpid()) + "-";
  for (int i = 0; i < 6; ++i) id += static_cast<char>('0' + device() % 10);
  id += "-probe" + std::to_string(round);
  const TestTarget target{scratch / id, id};
  std::optional<std::string> why;
  std::unique_ptr<WireSink> sut;
  try {
    auto options = wire_options(c);
    options.fork_server = false;
    sut = std::make_unique<WireSink>(options);
    std::filesystem::create_directories(target.dir);
    RunRequest request;
    request.workload = Workload::empty(1, 1, 0);  // a build and a close
    const auto trace = sut->run(sut->make_config(target), request);
    if (trace.aborted) {
      why = trace.abort_reason;
    } else if (const auto e = std::ranges::find_if(trace.events, &TraceEvent::sink_failed_on_its_own);
               e != trace.events.end()) {
      why = e->to_text();
    }
  } catch (const std::exception& e) {
    why = e.what();
  }
  if (sut) sut->drop_target(target);  // what a build left on a server, whatever came of the run
  std::error_code ignored;
  std::filesystem::remove_all(target.dir, ignored);
  return why;
}

int soak(SoakArgs& args, const std::vector<std::string>& ids) {
  auto& c = args.run.common;
  const auto& reporting = args.run.reporting;
  const auto length = duration_of(args.duration);
  choose_seed(c);
  const auto gate = load_gate(reporting);
  if (!gate) return kExitUsage;
  const AllowList& allow = gate->allow;
  const auto& formats = gate->formats;
  install_interruption_handling();
  int start_status = 0;
  const auto sut = start_sink(c, reporting, formats, start_status);
  if (!sut) return start_status;
  auto options = suite_options(c, ids);
  const auto start = Clock::now();
  options.start_no_rule_after = start + length;
  std::cout << "sinkkit " << kit_version() << ": soak of sink '" << sut->name() << "' (" << command_line_of(c)
            << ") for " << duration_text(length);
  if (args.rounds > 0) std::cout << " or " << args.rounds << " rounds";
  std::cout << ", round n at seed " << c.seed << " + n - 1, budget " << c.budget << ", jobs "
            << (options.isolate ? options.jobs : 1);
  if (!c.shard.whole()) std::cout << ", shard " << to_string(c.shard);
  if (!ids.empty()) {
    std::cout << ", rules";
    for (const auto& id : ids) std::cout << (&id == &ids.front() ? " " : ",") << id;
  }
  std::cout << std::endl;

  // What the run is, whether or not a round ran.
  SuiteResult result;
  result.sink = sut->name();
  result.subject = command_line_of(c);
  result.capabilities = sut->capabilities();
  result.kit_version = kit_version();
  result.seed = c.seed;
  result.shard = c.shard;
  result.budget = c.budget;
  result.max_workers = c.max_workers;
  result.strict = c.strict;
  result.host = host_name();
  result.started_at = detail::utc_now();

  SoakFindings found;
  int rounds = 0;
  bool partial = false;
  std::string stopped_early;  // why the rounds ended before the time did
  std::string went_down;  // the sink's failure, when a down sink ended the rounds
  int verdict = 0;
  int signal_seen = 0;  // the signal the last report says, so the exit agrees with it
  // The report as it stands (marked unfinished until the last write): a
  // soak killed outright (SIGKILL, a node lost) still leaves its last one,
  // and it does not pass a gate.
  const auto report = [&](bool last) {
    found.fill(result);
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    result.gate_errors.clear();
    result.gate_notes.clear();
    result.interrupted.clear();
    const auto seeds = rounds == 0 ? std::string("none")
                                   : std::to_string(c.seed) + " to " + std::to_string(c.seed + static_cast<std::uint64_t>(rounds - 1));
    result.gate_notes.push_back("soak: " + std::to_string(rounds) + (rounds == 1 ? " round" : " rounds") +
                                (partial ? " (the last one partial)" : "") + " in " + duration_text(Clock::now() - start) +
                                " of " + duration_text(length) + ", " + std::to_string(found.cases()) + " cases, seeds " +
                                seeds + (stopped_early.empty() ? "" : "; " + stopped_early));
    // Never a pass, whatever the allow list says: the time left judged nothing.
    if (!went_down.empty()) result.gate_errors.push_back(went_down);
    apply_allow_list(result, allow, utc_today());
    verdict = result.exit_code();  // what the rounds found, before a signal marks the run
    signal_seen = interruption_signal();
    if (signal_seen != 0) detail::mark_interrupted(result, signal_seen);
    if (!last) result.gate_errors.push_back("the soak had not finished when this report was written (after round " +
                                            std::to_string(rounds) + ")");
    if (reporting.dir.empty()) return true;
    std::ostringstream listed;
    const bool written = write_reports_of(result, reporting, formats, listed);
    if (last) std::cout << "\n" << listed.str();
    return written;
  };
  // Progress and the report after a round, but at most every 10 s (rounds
  // of a few milliseconds would flood the log and rewrite the reports
  // thousands of times), and after the first, the last, and a new cause.
  auto last_shown = start - std::chrono::hours(1);
  auto last_probe = start - std::chrono::hours(1);
  while (Clock::now() < start + length && interruption_signal() == 0 && (args.rounds == 0 || rounds < args.rounds)) {
    options.check.seed = c.seed + static_cast<std::uint64_t>(rounds);
    const auto round = run_suite(*sut, options);
    const bool cut = std::ranges::any_of(round.rules, unrun);
    const auto causes_before = found.causes();
    const int judged_now = found.add_round(round);
    if (judged_now == 0 && cut) break;  // stopped before its first rule: not a round
    partial = cut;
    ++rounds;
    if (rounds == 1) result.started_at = round.started_at;
    const bool news = found.causes() > causes_before;
    const bool last = judged_now == 0 || Clock::now() >= start + length || interruption_signal() != 0 ||
                      (args.rounds > 0 && rounds >= args.rounds);
    if (news || last || Clock::now() - last_shown >= std::chrono::seconds(10)) {
      last_shown = Clock::now();
      const auto broken = std::ranges::count_if(round.rules, [](const RuleResult& r) { return r.broken(); });
      std::cout << "[soak " << duration_text(Clock::now() - start) << " of " << duration_text(length) << "] round "
                << rounds << " (seed " << options.check.seed << (partial ? ", partial" : "") << "): " << broken
                << (broken == 1 ? " rule" : " rules") << " broken; so far " << found.cases() << " cases, "
                << found.causes() << (found.causes() == 1 ? " cause" : " causes");
      if (news) std::cout << " (" << found.causes() - causes_before << " new)";
      std::cout << std::endl;
      if (!report(false)) return kExitUsage;
    }
    if (judged_now == 0) {
      stopped_early = "no rule could be checked (each is not applicable or untested): one round is all there is";
      break;
    }
    // A round that broke rules and found nothing new: is the sink still up?
    // One build and close after such a round, at most every 10 s (a sink
    // with a known failure breaks a rule every round; each probe starts a
    // process).
    if (!news && !last && Clock::now() - last_probe >= std::chrono::seconds(10) &&
        std::ranges::any_of(round.rules, [](const RuleResult& r) { return r.broken(); })) {
      last_probe = Clock::now();
      // A signal while it starts is not the sink going down.
      if (const auto why = sink_is_down(c, options.check.scratch, rounds); why && interruption_signal() == 0) {
        went_down =
            "after round " + std::to_string(rounds) + " the sink could no longer build and close a partition: " + *why;
        stopped_early = "stopped early: the sink is down, and the rounds after would only repeat its failures";
        std::cout << "[soak " << duration_text(Clock::now() - start) << " of " << duration_text(length) << "] "
                  << went_down << std::endl;
        break;
      }
    }
  }
  if (args.rounds > 0 && rounds == args.rounds && stopped_early.empty()) {
    stopped_early = "stopped after --rounds " + std::to_string(args.rounds);
  }
  if (!report(true)) return kExitUsage;
  if (!result.causes.empty()) {
    std::cout << "\n" << causes_heading(result.causes.size()) << ":\n";
    for (std::size_t i = 0; i < result.causes.size(); ++i) {
      std::cout << "  " << i + 1 << ". " << result.causes[i].to_text() << "\n";
      if (!found.reproduce(i).empty()) std::cout << "     reproduce: " << found.reproduce(i) << "\n";
    }
  }
  for (const auto& n : result.gate_notes) std::cout << "\nnote: " << n << "\n";
  for (const auto& e : result.gate_errors) std::cout << "\nerror: " << e << "\n";
  std::cout << "\n" << result.summary_line() << std::endl;
  // What it found decides first: a failure found before a signal is still
  // found (a SHOULD rule's cause fails it only with --strict, as in `run`).
  // The signal is the one the report says, not one that came after it.
  if (verdict != 0) return verdict;
  if (signal_seen != 0) return 128 + signal_seen;
  return 0;
}

}  // namespace

void add_soak_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SoakArgs>();
  auto* cmd = app.add_subcommand(
      "soak", "Check the rules again and again, each round at a fresh seed, until --duration is up: sinkkit soak "
              "--duration 2h [options] -- COMMAND... Exits 1 if it found a failure (as `run` would fail it), else 0, "
              "or 128 + N if signal N stopped it first (its report written, saying so)");
  add_run_options(*cmd, args->run);
  cmd->add_option("--duration", args->duration, "How long: 90s, 30m, 2h, 1h30m (rounds start until then)")
      ->envname("SINKKIT_SOAK")
      ->required();
  cmd->add_option("--rounds", args->rounds, "Stop after this many rounds, if the time is not up first (default: no limit)")
      ->check(CLI::Range(1, 1'000'000'000));
  cmd->callback([cmd, args, &exit_code] {
    const auto ids = validated_run_args(*cmd, args->run);
    (void)duration_of(args->duration);  // a usage error before any process starts
    exit_code = soak(*args, ids);
  });
}

}  // namespace sinkkit::cli
