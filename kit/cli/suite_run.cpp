#include "suite_run.hpp"

#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <sinkkit/reports/report.hpp>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/runners/allow_list.hpp>
#include <sinkkit/runners/interruption.hpp>
#include <sinkkit/runners/sink_process.hpp>
#include <unistd.h>

namespace sinkkit::cli {

namespace {

// The ids of --rules, each checked against the catalogue.
std::vector<std::string> rule_ids(const std::string& rules_csv) {
  std::vector<std::string> ids;
  std::stringstream in(rules_csv);
  for (std::string id; std::getline(in, id, ',');) {
    if (id.empty()) continue;
    if (find_rule(id) == nullptr) throw CLI::ValidationError("--rules", "unknown rule id '" + id + "' (see `sinkkit rules`)");
    ids.push_back(id);
  }
  return ids;
}

}  // namespace

void add_run_options(CLI::App& cmd, RunArgs& args) {
  add_common(cmd, args.common, "Seed of every rule's generated cases (default: random, printed)",
             "The sink command, after --: sinkkit " + cmd.get_name() + " -- python3 my_sink.py");
  // SINKKIT_RULES narrows every `sinkkit run` of a job or a test at once
  // (the pytest plugin passes the environment through); the run's header
  // line names the rules, so a leftover value does not narrow a gate unseen.
  cmd.add_option("--rules", args.rules_csv, "Comma-separated rule ids to run (default: all; see `sinkkit rules`)")
      ->envname("SINKKIT_RULES");
  // Each rule runs in a child of its own and starts its own sink processes,
  // so rules can be checked side by side; seeds are per rule, so a replay
  // is the same whatever the count.
  args.common.jobs = usable_cores();
  cmd.add_option("--jobs,-j", args.common.jobs, "Rules checked at once, each in its own process (default: the cores)")
      ->envname("SINKKIT_JOBS")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  // A CI matrix or a Kubernetes Indexed Job runs one shard per job, each at
  // the same --seed; `sinkkit report --merge` makes their results one.
  cmd.add_option("--shard", args.shard,
                 "Check only shard I of N of the rules (I/N, from 1): rule k of the catalogue is shard k mod N + 1's; "
                 "N runs at one --seed check what one run does; merge their --report JSON with `sinkkit report --merge`")
      ->envname("SINKKIT_SHARD");
  cmd.add_option("--report", args.reporting.dir, "Write the reports (NAME.json, .md, .html, .junit.xml, .txt) to this directory");
  cmd.add_option("--report-formats", args.reporting.formats, "Which reports --report writes: json,md,html,junit,text or all")
      ->capture_default_str();
  cmd.add_option("--allow-list", args.reporting.allow_list,
                 "Known failures that do not fail the run (JSON: rule, reason, optional sink and expires; "
                 "see docs/reports.md); an expired entry fails the run");
}

std::vector<std::string> validated_run_args(CLI::App& cmd, RunArgs& args) {
  args.common.seed_given = cmd.count("--seed") > 0;
  auto ids = rule_ids(args.rules_csv);
  if (!args.shard.empty()) {
    try {
      args.common.shard = parse_shard(args.shard);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("--shard", e.what());
    }
  }
  (void)wire_options(args.common);  // validates --config before any process starts
  return ids;
}

bool write_reports_of(const SuiteResult& result, const Reporting& reporting,
                      const std::vector<reports::ReportFormat>& formats, std::ostream& out) {
  try {
    out << "reports:";
    for (const auto& path : reports::write_reports({result}, reporting.dir, formats, result.sink)) {
      out << " " << path.string();
    }
    out << "\n";
    return true;
  } catch (const std::exception& e) {
    std::cerr << "sinkkit: " << e.what() << "\n";
    return false;
  }
}

std::string command_line_of(const Common& c) {
  std::string line;
  for (const auto& a : c.command) line += (line.empty() ? "" : " ") + quote(a);
  return line;
}

std::unique_ptr<WireSink> start_sink(Common& c, const Reporting& reporting,
                                     const std::vector<reports::ReportFormat>& formats, int& exit_code) {
  try {
    return std::make_unique<WireSink>(wire_options(c));
  } catch (const WireError& e) {
    exit_code = kExitUsage;
    if (const int sig = interruption_signal(); sig != 0) {
      exit_code = 128 + sig;  // stopped while it started: nothing judged
      return nullptr;
    }
    std::cerr << "sinkkit: cannot use the sink: " << e.what() << "\n";
    // The reports say so too, with the sink's stderr: a CI job shows them, not the console.
    if (!reporting.dir.empty()) {
      SuiteResult failed;
      failed.sink = std::filesystem::path(c.command.empty() ? "sink" : c.command.back()).stem().string();
      failed.subject = command_line_of(c);
      failed.kit_version = std::string(kit_version());
      failed.seed = c.seed;
      failed.shard = c.shard;
      failed.infrastructure_error = std::string("cannot use the sink: ") + e.what();
      failed.gate_errors.push_back(failed.infrastructure_error);
      (void)write_reports_of(failed, reporting, formats, std::cerr);  // exit 2 either way
    }
    return nullptr;
  }
}

std::optional<Gate> load_gate(const Reporting& reporting) {
  Gate gate;
  try {
    if (!reporting.allow_list.empty()) gate.allow = AllowList::load(reporting.allow_list);
    gate.formats = reports::report_formats_from(reporting.formats);
  } catch (const std::exception& e) {
    std::cerr << "sinkkit: " << e.what() << "\n";
    return std::nullopt;
  }
  return gate;
}

int run_and_report(Common& c, const std::vector<std::string>& rules, const Reporting& reporting) {
  choose_seed(c);
  const auto gate = load_gate(reporting);
  if (!gate) return kExitUsage;
  const AllowList& allow = gate->allow;
  const auto& formats = gate->formats;
  const std::string command_line = command_line_of(c);
  // SIGINT, SIGTERM, SIGHUP: the rule in progress and its sink processes are
  // killed, the rules judged are reported, and the exit status says which signal.
  install_interruption_handling();
  int start_status = 0;
  const auto sut = start_sink(c, reporting, formats, start_status);
  if (!sut) return start_status;
  const bool live = ::isatty(STDOUT_FILENO) != 0;
  auto options = suite_options(c, rules);
  options.progress = &std::cout;
  if (live) {
    options.on_start = [](const Rule& r, std::size_t i, std::size_t n) {
      std::cout << "\r[" << i << "/" << n << "] " << r.id << " " << r.title << " ..." << std::flush << "\r\033[K";
    };
  }
  std::cout << "sinkkit " << kit_version() << ": sink '" << sut->name() << "' (" << command_line << "), seed " << c.seed << ", budget " << c.budget << ", workers up to "
            << c.max_workers << ", layout " << c.layout << ", jobs " << (options.isolate ? options.jobs : 1)
            << ", targets in " << options.check.scratch.string();
  if (!c.shard.whole()) std::cout << ", shard " << to_string(c.shard);  // its rules are listed as they run
  if (!rules.empty()) {  // --rules or SINKKIT_RULES: said, so that a narrowed gate is seen
    std::cout << ", rules";
    for (const auto& id : rules) std::cout << (&id == &rules.front() ? " " : ",") << id;
  }
  std::cout << std::endl;
  SuiteResult result;
  try {
    result = run_suite(*sut, options);
  } catch (const std::out_of_range& e) {
    std::cerr << "sinkkit: " << e.what() << "\n";
    return kExitUsage;
  }
  result.subject = command_line;
  apply_allow_list(result, allow, utc_today());
  // The causes first: one bug that broke many rules reads as one.
  if (!result.causes.empty()) {
    std::cout << "\n" << causes_heading(result.causes.size()) << ":\n";
    for (std::size_t i = 0; i < result.causes.size(); ++i) {
      std::cout << "  " << i + 1 << ". " << result.causes[i].to_text() << "\n";
    }
  }
  for (const auto& r : result.rules) {
    if (r.broken()) std::cout << "\n" << r.to_text();
  }
  for (const auto& n : result.gate_notes) std::cout << "\nnote: " << n << "\n";
  for (const auto& e : result.gate_errors) std::cout << "\nerror: " << e << "\n";
  if (!reporting.dir.empty()) {
    std::cout << "\n";
    if (!write_reports_of(result, reporting, formats, std::cout)) return kExitUsage;
  }
  std::cout << "\n" << result.summary_line() << std::endl;
  // The status the reports say: a signal after the last rule changed nothing.
  if (!result.interrupted.empty()) return 128 + interruption_signal();  // 130 SIGINT, 143 SIGTERM, 129 SIGHUP
  return result.exit_code();
}

}  // namespace sinkkit::cli
