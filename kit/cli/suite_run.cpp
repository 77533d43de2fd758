#include "suite_run.hpp"

#include <filesystem>
#include <iostream>
#include <memory>

#include <sinkkit/reports/report.hpp>
#include <sinkkit/runners/allow_list.hpp>
#include <sinkkit/runners/interruption.hpp>
#include <sinkkit/runners/sink_process.hpp>
#include <unistd.h>

namespace sinkkit::cli {

namespace {

// Writes every report format asked for; false (with the error on stderr) if it could not.
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

}  // namespace

int run_and_report(Common& c, const std::vector<std::string>& rules, const Reporting& reporting) {
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
  std::string command_line;
  for (const auto& a : c.command) command_line += (command_line.empty() ? "" : " ") + quote(a);
  // SIGINT, SIGTERM, SIGHUP: the rule in progress and its sink processes are
  // killed, the rules judged are reported, and the exit status says which signal.
  install_interruption_handling();
  std::unique_ptr<WireSink> sut;
  try {
    sut = std::make_unique<WireSink>(wire_options(c));
  } catch (const WireError& e) {
    if (const int sig = interruption_signal(); sig != 0) return 128 + sig;  // stopped while it started: nothing judged
    std::cerr << "sinkkit: cannot use the sink: " << e.what() << "\n";
    // The reports say so too, with the sink's stderr: a CI job shows them, not the console.
    if (!reporting.dir.empty()) {
      SuiteResult failed;
      failed.sink = std::filesystem::path(c.command.empty() ? "sink" : c.command.back()).stem().string();
      failed.subject = command_line;
      failed.kit_version = std::string(kit_version());
      failed.seed = c.seed;
      failed.infrastructure_error = std::string("cannot use the sink: ") + e.what();
      failed.gate_errors.push_back(failed.infrastructure_error);
      (void)write_reports_of(failed, reporting, formats, std::cerr);  // exit 2 either way
    }
    return kExitUsage;
  }
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
