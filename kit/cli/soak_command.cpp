// `sinkkit soak`: the rule catalogue (or some rules, or a shard of them)
// checked again and again, each round at a fresh seed, until a duration is
// up; every distinct cause it finds kept, shrunk, with its replay line.

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <set>
#include <sstream>
#include <vector>

#include <sinkkit/detail/utc.hpp>
#include <sinkkit/reports/report.hpp>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/rules/causes.hpp>
#include <sinkkit/runners/allow_list.hpp>
#include <sinkkit/runners/interruption.hpp>
#include <sinkkit/runners/sink_process.hpp>
#include <sinkkit/runners/soak.hpp>

#include "commands.hpp"
#include "options.hpp"
#include "suite_run.hpp"

namespace sinkkit::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct SoakArgs {
  RunArgs run;
  std::string duration;
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

bool judged(const RuleResult& r) {
  return r.status == RuleStatus::passed || r.status == RuleStatus::failed || r.status == RuleStatus::warning;
}

// What the rounds found so far: each rule's worst result (its first
// failure, shrunk, its round's seed in its replay line) with the cases of
// every round summed; each distinct cause once.
class SoakFindings {
 public:
  // Adds a round's rules and causes; returns how many rules it judged
  // (passed, failed or warned: not the rules a signal or the time left unrun).
  int add_round(const SuiteResult& round) {
    int judged_now = 0;
    for (const auto& r : round.rules) {
      if (is_not_run(r) || r.message == detail::kNotStartedInTime) continue;
      judged_now += judged(r) ? 1 : 0;
      cases_ += r.cases;
      auto [at, fresh] = rules_.try_emplace(r.id, r);
      if (fresh) continue;
      auto& kept = at->second;
      const int cases = kept.cases + r.cases;
      const double seconds = kept.seconds + r.seconds;
      if (rank(r.status) > rank(kept.status)) kept = r;
      kept.cases = cases;
      kept.seconds = seconds;
    }
    for (const auto& c : round.causes) add_cause(c, round);
    return judged_now;
  }
  [[nodiscard]] std::size_t causes() const { return causes_.size(); }
  [[nodiscard]] long long cases() const { return cases_; }
  [[nodiscard]] const std::string& reproduce(std::size_t i) const { return causes_[i].reproduce; }
  // The rules and causes as a result (its metadata the caller's).
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
    std::string key;        // its summary as every finding of it reads: numbers masked, the keys listed cut
    std::string reproduce;  // the replay line of the round that found it
  };

  static std::set<std::string> rules_of(const Cause& c) {
    std::set<std::string> all(c.also.begin(), c.also.end());
    all.insert(c.rule);
    return all;
  }

  // One bug found again at another seed shrinks to other numbers and lists
  // other keys, and may break more rules (or fewer) in one round than in
  // another: a cause with the same summary that shares a rule with one kept
  // is that one (the one that saw more rules names it).
  void add_cause(const Cause& c, const SuiteResult& round) {
    auto text = c.summary;
    if (const auto first = text.find("; first"); first != std::string::npos) text.resize(first);
    const auto key = detail::mask_numbers(text);
    const auto mine = rules_of(c);
    for (auto& f : causes_) {
      if (f.key != key) continue;
      auto theirs = rules_of(f.cause);
      if (std::ranges::none_of(mine, [&](const std::string& id) { return theirs.contains(id); })) continue;
      const bool wider = std::ranges::includes(mine, theirs) && mine.size() > theirs.size();
      theirs.insert(mine.begin(), mine.end());
      if (wider) {
        f.cause.rule = c.rule;
        f.cause.summary = c.summary;
        if (const auto* r = round.find(c.rule)) f.reproduce = r->reproduce;
      }
      theirs.erase(f.cause.rule);
      f.cause.also.assign(theirs.begin(), theirs.end());
      std::ranges::sort(f.cause.also, [](const std::string& a, const std::string& b) { return rule_id_less(a, b); });
      return;
    }
    const auto* r = round.find(c.rule);
    causes_.push_back({c, key, r != nullptr ? r->reproduce : ""});
  }

  std::map<std::string, RuleResult> rules_;
  std::vector<Found> causes_;
  long long cases_ = 0;
};

int soak(SoakArgs& args, const std::vector<std::string>& ids) {
  auto& c = args.run.common;
  const auto& reporting = args.run.reporting;
  const auto length = duration_of(args.duration);
  choose_seed(c);
  AllowList allow;
  std::vector<reports::ReportFormat> formats;
  try {
    if (!reporting.allow_list.empty()) allow = AllowList::load(reporting.allow_list);
    formats = reports::report_formats_from(reporting.formats);
  } catch (const std::exception& e) {
    std::cerr << "sinkkit: " << e.what() << "\n";
    return kExitUsage;
  }
  install_interruption_handling();
  int start_status = 0;
  const auto sut = start_sink(c, reporting, formats, start_status);
  if (!sut) return start_status;
  auto options = suite_options(c, ids);
  const auto start = Clock::now();
  options.start_no_rule_after = start + length;
  std::cout << "sinkkit " << kit_version() << ": soak of sink '" << sut->name() << "' (" << command_line_of(c)
            << ") for " << duration_text(length) << ", round n at seed " << c.seed << " + n - 1, budget " << c.budget
            << ", jobs " << (options.isolate ? options.jobs : 1);
  if (!c.shard.whole()) std::cout << ", shard " << to_string(c.shard);
  if (!ids.empty()) {
    std::cout << ", rules";
    for (const auto& id : ids) std::cout << (&id == &ids.front() ? " " : ",") << id;
  }
  std::cout << std::endl;

  SoakFindings found;
  SuiteResult result;
  int rounds = 0;
  bool partial = false;
  std::string stopped_early;  // why the rounds ended before the time did
  int verdict = 0;
  // The report as it stands, written after every round (marked unfinished
  // until the last write): a soak killed outright (SIGKILL, a node lost)
  // still leaves its last round's, and it does not pass a gate.
  const auto report = [&](bool last) {
    found.fill(result);
    result.seed = c.seed;
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
    apply_allow_list(result, allow, utc_today());
    verdict = result.exit_code();  // what the rounds found, before a signal marks the run
    if (const int sig = interruption_signal(); sig != 0) detail::mark_interrupted(result, sig);
    if (!last) result.gate_errors.push_back("the soak had not finished when this report was written (after round " +
                                            std::to_string(rounds) + ")");
    if (reporting.dir.empty()) return true;
    std::ostringstream listed;
    const bool written = write_reports_of(result, reporting, formats, listed);
    if (last) std::cout << "\n" << listed.str();
    return written;
  };
  while (Clock::now() < start + length && interruption_signal() == 0) {
    options.check.seed = c.seed + static_cast<std::uint64_t>(rounds);
    auto round = run_suite(*sut, options);
    if (rounds == 0) result = round;  // the run's metadata: sink, capabilities, host, start
    partial = std::ranges::any_of(round.rules, [](const RuleResult& r) {
      return is_not_run(r) || r.message == detail::kNotStartedInTime;
    });
    const auto causes_before = found.causes();
    const int judged_now = found.add_round(round);
    if (judged_now == 0 && partial) break;  // stopped before its first rule: not a round
    ++rounds;
    const auto broken = std::ranges::count_if(round.rules, [](const RuleResult& r) { return r.broken(); });
    std::cout << "[soak " << duration_text(Clock::now() - start) << " of " << duration_text(length) << "] round " << rounds
              << " (seed " << options.check.seed << (partial ? ", partial" : "") << "): " << broken
              << (broken == 1 ? " rule" : " rules") << " broken; so far " << found.cases() << " cases, " << found.causes()
              << (found.causes() == 1 ? " cause" : " causes");
    if (found.causes() > causes_before) std::cout << " (" << found.causes() - causes_before << " new)";
    std::cout << std::endl;
    if (judged_now == 0) {
      stopped_early = "no rule could be checked (each is not applicable or untested): one round is all there is";
      break;
    }
    if (!report(false)) return kExitUsage;
  }
  if (rounds == 0 && result.sink.empty()) {  // stopped before a round: what the sink is, from its hello
    result.sink = sut->name();
    result.capabilities = sut->capabilities();
    result.kit_version = kit_version();
  }
  result.subject = command_line_of(c);
  result.shard = c.shard;
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
  if (verdict != 0) return verdict;
  if (const int sig = interruption_signal(); sig != 0) return 128 + sig;
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
  cmd->callback([cmd, args, &exit_code] {
    const auto ids = validated_run_args(*cmd, args->run);
    (void)duration_of(args->duration);  // a usage error before any process starts
    exit_code = soak(*args, ids);
  });
}

}  // namespace sinkkit::cli
