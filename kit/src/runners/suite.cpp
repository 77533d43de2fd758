#include <sinkkit/runners/suite.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/utc.hpp>
#include <sinkkit/detail/write_all.hpp>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/rules/causes.hpp>
#include <sinkkit/runners/child_process.hpp>
#include <sinkkit/runners/interruption.hpp>
#include <sched.h>
#include <unistd.h>

#include "../rules/property.hpp"
#include "shared_findings.hpp"

#ifndef SINKKIT_VERSION
#define SINKKIT_VERSION "unknown"
#endif

namespace sinkkit {
inline namespace runners {

namespace {

const std::string kCaseMark = "#case ";
// A sink's messages are arbitrary bytes; the result must still serialise.
constexpr auto kReplaceBadUtf8 = nlohmann::json::error_handler_t::replace;

using detail::write_all;

const std::string kFailingRunMark = "#failing-run ";
constexpr std::size_t kRunOutputBytes = 64 * 1024;

// The output of case run `run` alone (the shrunk counterexample's, or the
// run that was going on when the child died: run 0 means the last one), its
// marks removed; all of it when the marks are missing.
std::string output_of_run(const std::string& output, int run) {
  const std::string prefix = "\x1e[sinkkit case run ";
  std::size_t from = std::string::npos;
  if (run > 0) {
    from = output.find(detail::case_run_mark(run));
    if (from != std::string::npos) from += detail::case_run_mark(run).size();
  } else if (const auto last = output.rfind(prefix); last != std::string::npos) {
    from = output.find('\n', last);
    if (from != std::string::npos) ++from;
  }
  std::string kept = from == std::string::npos ? output : output.substr(from);
  if (from != std::string::npos) {
    if (const auto next = kept.find(prefix); next != std::string::npos) kept.resize(next);
  }
  // Whatever marks are left (all output kept): removed.
  for (std::size_t at; (at = kept.find(prefix)) != std::string::npos;) {
    const auto nl = kept.find('\n', at);
    kept.erase(at, nl == std::string::npos ? std::string::npos : nl - at + 1);
  }
  if (kept.size() > kRunOutputBytes) {
    const auto dropped = kept.size() - kRunOutputBytes;
    kept.resize(kRunOutputBytes);
    kept += "\n[... " + std::to_string(dropped) + " more bytes of this run's output dropped by sinkkit]\n";
  }
  return kept;
}

// What a sanitizer reported in this process (a rule's child): the first
// report's summary line and the case run it came in. Written by the
// sanitizer's runtime from whatever thread found the error, maybe inside a
// signal handler (ASan's report of a SEGV): no lock, no stdio, published by
// `first_report_ready` once the text is whole.
std::atomic<int> sanitizer_reports{0};
std::atomic<bool> first_report_ready{false};
char first_report[512];
std::atomic<int> first_report_run{0};

struct SanitizerReport {
  std::string summary;
  int run = 0;
};

std::optional<SanitizerReport> take_sanitizer_report() {
  if (sanitizer_reports.load(std::memory_order_acquire) == 0) return std::nullopt;
  SanitizerReport report{first_report_ready.load(std::memory_order_acquire)
                             ? std::string(first_report)
                             : std::string("(a sanitizer's report, its summary still being written)"),
                         first_report_run.load(std::memory_order_relaxed)};
  first_report_ready.store(false, std::memory_order_relaxed);
  sanitizer_reports.store(0, std::memory_order_release);
  return report;
}

// A sanitizer's report during a rule's check fails the rule (a SHOULD rule
// warns), whatever the check concluded: a data race ThreadSanitizer saw is a
// race even in a run that lost nothing. The output kept is that of the run
// the report came in; the check's own finding, if any, follows.
void fail_on_sanitizer_report(RuleResult& r, const Rule& rule, const SanitizerReport& report) {
  const std::string own = r.message;
  r.status = rule.level == RuleLevel::should ? RuleStatus::warning : RuleStatus::failed;
  r.message = "a sanitizer reported an error during this rule's check (its report is in the output): " +
              report.summary + (own.empty() ? "" : "; the check: " + own);
}

// RapidCheck announces its own (unused) seed on first use; only the kit's
// seed reproduces a check, so that line would mislead.
std::string without_kit_noise(const std::string& output) {
  std::string out;
  for (std::size_t pos = 0; pos < output.size();) {
    auto nl = output.find('\n', pos);
    if (nl == std::string::npos) nl = output.size() - 1;
    auto line = output.substr(pos, nl - pos + 1);
    if (!line.starts_with("Using configuration: seed=")) out += line;
    pos = nl + 1;
  }
  return out;
}

// A rule's check running in a child of its own. The rule's test targets live
// under a scratch folder the parent removes once the child is gone: the child
// cannot, when a crash, a timeout or an interruption kills it.
struct IsolatedCheck {
  const Rule* rule = nullptr;
  std::size_t index = 0;  // in the run's rule list
  std::chrono::steady_clock::time_point start;
  std::filesystem::path scratch;
  std::unique_ptr<RunningChild> child;
  bool died = false;  // the child ended early: a crash or hang (not an interruption)
  // A re-check case by case (CheckOptions::isolate_cases): the first check's result.
  std::optional<RuleResult> first;

  IsolatedCheck() = default;
  IsolatedCheck(const IsolatedCheck&) = delete;
  IsolatedCheck& operator=(const IsolatedCheck&) = delete;
  ~IsolatedCheck() {
    child.reset();  // killed and reaped first: nothing writes there any more
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
  }
};

std::unique_ptr<IsolatedCheck> start_isolated(const Rule& rule, SinkUnderTest& sut, const SuiteOptions& options,
                                              bool case_by_case = false) {
  namespace fs = std::filesystem;
  static std::atomic<int> next_scratch{0};
  auto isolated = std::make_unique<IsolatedCheck>();
  isolated->rule = &rule;
  isolated->start = std::chrono::steady_clock::now();
  // Case by case, each case's child dies alone; the shrink stops in time for
  // the check to report before the rule timeout ends it.
  const auto deadline = isolated->start + options.rule_timeout * 4 / 5;
  isolated->scratch = (options.check.scratch.empty() ? fs::temp_directory_path() : options.check.scratch) /
                      ("sinkkit-rule-" + std::to_string(::getpid()) + "-" + std::to_string(next_scratch++));
  ChildOptions child_options;
  child_options.timeout = options.rule_timeout;
  // Every case's output is read (the run that matters is often a late shrink
  // step); only that run's is kept, capped at kRunOutputBytes.
  child_options.max_output = 64ULL << 20;
  isolated->child = std::make_unique<RunningChild>(
      [&rule, &sut, &options, case_by_case, deadline, scratch = isolated->scratch](int fd) {
        auto check = options.check;
        check.scratch = scratch;
        if (case_by_case) {
          check.isolate_cases = true;
          check.deadline = deadline;
        }
        check.on_case = [fd](const std::string& text) { write_all(fd, kCaseMark + text + "\n"); };
        detail::mark_case_runs(STDERR_FILENO);  // the report keeps the counterexample's output only
        (void)take_sanitizer_report();          // the parent's, from before the fork
        auto result = check_rule(rule, sut, check);
        int failing_run = detail::last_failing_case_run();
        if (const auto report = take_sanitizer_report()) {
          fail_on_sanitizer_report(result, rule, *report);
          failing_run = report->run;
        }
        write_all(fd, kFailingRunMark + std::to_string(failing_run) + "\n");
        write_all(fd, result.to_json().dump(-1, ' ', false, kReplaceBadUtf8) + "\n");
      },
      child_options);
  return isolated;
}

// The rule's result from what its child reported; whatever ended the child
// early fails the rule with the reason named.
RuleResult finish_isolated(IsolatedCheck& isolated, const SuiteOptions& options) {
  const Rule& rule = *isolated.rule;
  const ChildResult child = isolated.child->wait();
  // The report: a line per case begun, then the result as one JSON line.
  std::string last_case, result_line;
  int failing_run = 0;
  for (std::size_t pos = 0; pos < child.report.size();) {
    auto nl = child.report.find('\n', pos);
    if (nl == std::string::npos) nl = child.report.size();
    auto line = child.report.substr(pos, nl - pos);
    if (line.starts_with(kCaseMark)) {
      last_case = line.substr(kCaseMark.size());
    } else if (line.starts_with(kFailingRunMark)) {
      failing_run = std::atoi(line.c_str() + kFailingRunMark.size());
    } else if (!line.empty()) {
      result_line = line;
    }
    pos = nl + 1;
  }
  // A child that wrote its result finished its check, whatever its exit
  // status: ThreadSanitizer exits 66 after a report (its _exit too), and that
  // report is already in the result (fail_on_sanitizer_report).
  const bool checked = !result_line.empty() && !child.interrupted && !child.timed_out && child.signal == 0;
  RuleResult r;
  if (child.interrupted) {
    r.status = RuleStatus::untested;
    r.message = detail::not_run_message(interruption_signal(), " while this rule was checked" +
                                                                   (last_case.empty() ? std::string()
                                                                                      : " (the case running was: " + last_case + ")"));
  } else if (checked) {
    try {
      r = RuleResult::from_json(nlohmann::json::parse(result_line));
    } catch (const std::exception& e) {
      r.message = std::string("the check's result could not be read: ") + e.what();
      r.status = RuleStatus::failed;
    }
    // Exited non-zero after a result that judged nothing wrong: something
    // reported after the check (a sanitizer's report from a thread the sink
    // left running: ThreadSanitizer exits 66).
    if (child.exit_code != 0 && !r.broken()) {
      r.status = rule.level == RuleLevel::should ? RuleStatus::warning : RuleStatus::failed;
      r.message = "the check's process " + child.describe() + " after its result, which said " + r.message +
                  (r.message.empty() ? "nothing" : "") + ": the output says why (a sanitizer's report?)";
      failing_run = 0;
    }
  } else {
    isolated.died = true;
    r.status = RuleStatus::failed;
    r.incidental = true;  // the check died: it judged nothing of its own
    r.message = "the check's process " + child.describe() +
                (child.timed_out ? " after " + std::to_string(options.rule_timeout.count() / 1000) + " s" : "") +
                ": the sink crashed or hung while this rule was checked" +
                (last_case.empty() ? std::string() : "; the case running was: " + last_case);
  }
  r.id = std::string(rule.id);
  r.title = std::string(rule.title);
  r.statement = std::string(rule.statement);
  r.level = rule.level;
  r.seed = options.check.seed;
  if (r.broken()) r.output = without_kit_noise(output_of_run(child.output, checked ? failing_run : 0));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - isolated.start).count();
  return r;
}

// A check that died of an in-process sink is checked again case by case, so
// that the crash or hang is a case's failure, shrunk, with its calls.
std::unique_ptr<IsolatedCheck> recheck_case_by_case(IsolatedCheck& died, const RuleResult& first, SinkUnderTest& sut,
                                                    const SuiteOptions& options) {
  if (!died.died || died.first || !sut.in_process() || interruption_signal() != 0) return nullptr;
  auto again = start_isolated(*died.rule, sut, options, true);
  again->index = died.index;
  again->start = died.start;  // the rule's time is both checks'
  again->first = first;
  return again;
}

// The result of a re-check case by case: its shrunk crash, or the first
// check's result, saying what the re-check found.
RuleResult settle(IsolatedCheck& recheck, RuleResult again) {
  RuleResult first = std::move(*recheck.first);
  if (again.broken() && !recheck.died && again.counterexample) {
    again.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - recheck.start).count();
    // The crash as first seen: a sanitizer's report with its stack, if any.
    if (!first.output.empty()) {
      again.output += std::string(again.output.empty() || again.output.ends_with('\n') ? "" : "\n") +
                      "[sinkkit: the output of the case that killed the check first, before shrinking]\n" +
                      first.output;
    }
    return again;
  }
  first.message += recheck.died ? "; checked again case by case, the check died again: " + again.message
                   : again.broken() ? "; checked again case by case: " + again.message
                                    : "; checked again case by case, no case failed (the crash did not recur)";
  first.seconds = again.seconds;
  return first;
}

// What the runner adds to a check's result, however it ran.
RuleResult finish_rule(RuleResult r, const Rule& rule, const SuiteOptions& options) {
  // In process, an interruption killed the sink's processes under the check:
  // whatever it concluded after that is not a verdict.
  if (!options.isolate && interruption_signal() != 0) {
    r = detail::not_run_result(rule, options.check.seed,
                               detail::not_run_message(interruption_signal(), " while this rule was checked"));
  }
  if (options.reproduce && interruption_signal() == 0) r.reproduce = options.reproduce(r);
  return r;
}

void print_progress(const RuleResult& r, const Rule& rule, std::size_t position, std::size_t total, std::ostream& out) {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.2f", r.seconds);
  out << "[" << position << "/" << total << "] " << r.id << " " << rule.title << ": " << to_string(r.status) << " ("
      << r.cases << " cases, " << secs << " s)";
  // A passed rule's message is a note (how it was tested, a call that was slow).
  if (!r.message.empty()) out << " - " << r.message;
  out << std::endl;
}

}  // namespace

std::string kit_version() { return SINKKIT_VERSION; }

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

int usable_cores() {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

RuleResult run_rule(const Rule& rule, SinkUnderTest& sut, const SuiteOptions& options) {
  if (!options.isolate) {
    (void)take_sanitizer_report();
    auto r = check_rule(rule, sut, options.check);
    if (const auto report = take_sanitizer_report()) fail_on_sanitizer_report(r, rule, *report);
    return finish_rule(std::move(r), rule, options);
  }
  auto isolated = start_isolated(rule, sut, options);
  auto r = finish_isolated(*isolated, options);
  if (auto again = recheck_case_by_case(*isolated, r, sut, options)) {
    isolated = std::move(again);
    r = settle(*isolated, finish_isolated(*isolated, options));
  }
  return finish_rule(std::move(r), rule, options);
}

std::vector<RuleResult> run_rules(const std::vector<const Rule*>& rules, SinkUnderTest& sut,
                                  const SuiteOptions& given) {
  // One bug, one shrink: the checks of this run, in the processes forked
  // below, tell each other the failed calls they find.
  std::optional<detail::SharedFindingsBoard> board;
  SuiteOptions options = given;
  if (options.check.findings == nullptr) options.check.findings = &board.emplace();
  const std::size_t total = rules.size();
  const std::size_t jobs = options.isolate ? static_cast<std::size_t>(std::max(1, options.jobs)) : 1;
  std::vector<std::optional<RuleResult>> results(total);
  std::vector<std::unique_ptr<IsolatedCheck>> running;
  std::size_t next_start = 0, next_shown = 0;
  // Results are shown in the list's order, whatever order they finish in.
  auto show_ready = [&] {
    for (; next_shown < total && results[next_shown]; ++next_shown) {
      if (options.progress != nullptr) print_progress(*results[next_shown], *rules[next_shown], next_shown + 1, total, *options.progress);
    }
  };
  // A rule that needs the cores (SK-2.10) starts when none runs, and none
  // starts beside it.
  auto alone = [&](const std::unique_ptr<IsolatedCheck>& c) { return c->rule->needs_the_cores; };
  while (next_shown < total) {
    while (next_start < total && running.size() < jobs && std::ranges::none_of(running, alone) &&
           (running.empty() || !rules[next_start]->needs_the_cores)) {
      const Rule& rule = *rules[next_start];
      const std::size_t index = next_start++;
      if (const int sig = interruption_signal(); sig != 0) {
        // What was judged is kept; the rest is listed, not run.
        results[index] = detail::not_run_result(rule, options.check.seed, detail::not_run_message(sig));
        continue;
      }
      if (options.start_no_rule_after && std::chrono::steady_clock::now() >= *options.start_no_rule_after) {
        results[index] = detail::not_run_result(rule, options.check.seed, std::string(detail::kNotStartedInTime));
        continue;
      }
      if (options.on_start) options.on_start(rule, index + 1, total);
      // Not applicable by what the sink declares: judged here, with no
      // process of its own (a run of the catalogue forked one per rule).
      if (!options.isolate || declared_outside(rule, sut)) {
        SuiteOptions here = options;
        here.isolate = false;
        results[index] = run_rule(rule, sut, here);
        show_ready();  // in process: its line as soon as it is done
        continue;
      }
      running.push_back(start_isolated(rule, sut, options));
      running.back()->index = index;
    }
    if (!running.empty()) {
      std::vector<RunningChild*> children;
      for (const auto& r : running) children.push_back(r->child.get());
      RunningChild::pump(children, std::chrono::milliseconds(1000));
      for (auto it = running.begin(); it != running.end();) {
        if (!(*it)->child->finished()) {
          ++it;
          continue;
        }
        auto r = finish_isolated(**it, options);
        if ((*it)->first) {
          r = settle(**it, std::move(r));
        } else if (auto again = recheck_case_by_case(**it, r, sut, options)) {
          *it = std::move(again);  // still running: its result comes later
          ++it;
          continue;
        }
        results[(*it)->index] = finish_rule(std::move(r), *(*it)->rule, options);
        it = running.erase(it);
      }
    }
    show_ready();
  }
  std::vector<RuleResult> out;
  out.reserve(total);
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

SuiteResult run_suite(SinkUnderTest& sut, const SuiteOptions& options) {
  std::vector<const Rule*> selected;
  if (options.rules.empty()) {
    for (const auto& r : catalogue()) selected.push_back(&r);
  } else {
    for (const auto& id : options.rules) selected.push_back(&rule(id));
  }
  selected = rules_of_shard(selected, options.shard);
  SuiteResult result;
  result.shard = options.shard;
  result.sink = sut.name();
  result.capabilities = sut.capabilities();
  result.kit_version = kit_version();
  result.seed = options.check.seed;
  result.budget = options.check.budget;
  result.max_workers = options.check.max_workers;
  result.strict = options.strict;
  result.host = host_name();
  result.started_at = detail::utc_now();
  const auto start = std::chrono::steady_clock::now();
  result.rules = run_rules(selected, sut, options);
  result.causes = find_causes(result.rules);
  if (const int sig = interruption_signal(); sig != 0) detail::mark_interrupted(result, sig);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace runners

namespace detail {

std::string not_run_message(int signal, const std::string& detail) {
  return std::string(kNotRunPrefix) + signal_name(signal) + detail;
}

RuleResult not_run_result(const Rule& rule, std::uint64_t seed, const std::string& message) {
  RuleResult r;
  r.id = std::string(rule.id);
  r.title = std::string(rule.title);
  r.statement = std::string(rule.statement);
  r.level = rule.level;
  r.seed = seed;
  r.status = RuleStatus::untested;
  r.message = message;
  return r;
}

void mark_interrupted(SuiteResult& result, int signal) {
  result.interrupted = signal_name(signal);
  const auto not_run = std::count_if(result.rules.begin(), result.rules.end(), is_not_run);
  result.gate_errors.push_back(std::string(kInterruptedPrefix) + result.interrupted + ": " + std::to_string(not_run) +
                               " of " + std::to_string(result.rules.size()) + " rules not run");
}

}  // namespace detail
}  // namespace sinkkit

// The sanitizer runtimes (ASan, TSan, UBSan) call this at the end of every
// report in place of their own, which only prints the summary line: printed
// here too, and remembered, so that a report during a rule's check fails that
// rule (run_rule). Async-signal-safe: ASan may call it in its SEGV handler.
// In a program without a sanitizer nothing calls it.
extern "C" __attribute__((visibility("default"))) void __sanitizer_report_error_summary(const char* summary) {
  namespace r = sinkkit::runners;
  std::size_t n = 0;
  while (summary[n] != '\0') ++n;
  (void)!::write(STDERR_FILENO, summary, n);
  (void)!::write(STDERR_FILENO, "\n", 1);
  if (r::sanitizer_reports.fetch_add(1, std::memory_order_acq_rel) == 0) {
    const std::size_t kept = std::min(n, sizeof r::first_report - 1);
    for (std::size_t i = 0; i < kept; ++i) r::first_report[i] = summary[i];
    r::first_report[kept] = '\0';
    r::first_report_run.store(sinkkit::detail::current_case_run(), std::memory_order_relaxed);
    r::first_report_ready.store(true, std::memory_order_release);
  }
}
