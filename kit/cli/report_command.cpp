// `sinkkit report`: render saved results, conformance or benchmark, in the
// format asked for; conformance results exit as their run would.

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <sinkkit/reports/bench_gate.hpp>
#include <sinkkit/reports/bench_results.hpp>
#include <sinkkit/reports/bench_writers.hpp>
#include <sinkkit/reports/json_report.hpp>
#include <sinkkit/reports/report.hpp>
#include <sinkkit/runners/allow_list.hpp>

#include <sinkkit/rules/causes.hpp>

#include "commands.hpp"
#include "options.hpp"

namespace sinkkit::cli {

namespace {

struct ReportArgs {
  std::vector<std::string> inputs;
  std::string format = "md", output, allow_list;
  bool strict = false;
  bool merge = false;
  std::string targets;
};

// Benchmark results (`sinkkit bench`, or a Google Benchmark binary's JSON)
// render as the benchmark report; they gate nothing here (see `bench --baseline`).
int render_bench(const std::vector<std::string>& inputs, reports::ReportFormat f, const std::string& output,
                 const std::string& targets_file) {
  if (f != reports::ReportFormat::markdown && f != reports::ReportFormat::html) {
    throw std::invalid_argument("benchmark results render as md or html, not " + std::string(reports::to_string(f)));
  }
  std::vector<reports::BenchResults> runs;
  std::vector<reports::TargetCheck> checks;
  const auto targets = targets_file.empty() ? std::vector<reports::BenchTarget>{} : reports::read_bench_targets(targets_file);
  for (const auto& in : inputs) {
    runs.push_back(reports::read_bench_results(in));
    for (auto& c : reports::check_targets(runs.back(), targets)) {
      if (c.subject.starts_with("(no benchmark")) continue;  // targets of another file
      checks.push_back(std::move(c));
    }
  }
  const auto text = f == reports::ReportFormat::html ? reports::render_bench_html(runs, checks)
                                                     : reports::render_bench_markdown(runs, checks);
  if (output.empty()) {
    std::cout << text;
  } else {
    reports::write_file_atomically(output, text);
  }
  return 0;
}

bool is_bench_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return false;
  try {
    return reports::is_bench_json(nlohmann::json::parse(in));
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

int render_saved(const ReportArgs& args) {
  try {
    const auto f = reports::report_format_from(args.format);
    const auto benches = std::count_if(args.inputs.begin(), args.inputs.end(), is_bench_file);
    if (benches > 0) {
      if (args.merge) throw std::invalid_argument("--merge takes conformance results (`run --report`), not benchmark results");
      if (static_cast<std::size_t>(benches) != args.inputs.size()) {
        throw std::invalid_argument("mixed inputs: give either conformance results or benchmark results");
      }
      return render_bench(args.inputs, f, args.output, args.targets);
    }
    AllowList allow;
    if (!args.allow_list.empty()) allow = AllowList::load(args.allow_list);
    std::vector<SuiteResult> runs;
    for (const auto& in : args.inputs) runs.push_back(reports::read_json_report(in));
    // The shards of one run, one result again (with no causes: the loop
    // below finds them over all its rules, as the unsharded run does).
    if (args.merge) runs = {merge_shards(runs, args.inputs)};
    for (auto& run : runs) {
      run.strict = run.strict || args.strict;
      // A report saved by a kit without causes, or merged by hand: found again.
      if (run.causes.empty()) run.causes = find_causes(run.rules);
      if (!args.allow_list.empty()) {
        // Re-gate: the saved marks may come from another list; the gate's
        // other errors (a shard missing from a merge) stay.
        clear_allow_list_marks(run);
        apply_allow_list(run, allow, utc_today());
      }
    }
    const auto text = reports::render(runs, f);
    if (args.output.empty()) {
      std::cout << text;
    } else {
      reports::write_file_atomically(args.output, text);
    }
    int status = 0;
    for (const auto& run : runs) status = std::max(status, run.exit_code());
    return status;
  } catch (const std::exception& e) {
    std::cerr << "sinkkit report: " << e.what() << "\n";
    return kExitUsage;
  }
}

}  // namespace

void add_report_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReportArgs>();
  auto* report = app.add_subcommand(
      "report", "Render saved results (the JSON of `run --report` or SINKKIT_REPORT_DIR): sinkkit report IN.json... "
                "--format md|html|junit|json|text [-o OUT]. Exits as the run would: 0 conformant, 1 not, 2 error");
  report->add_option("inputs", args->inputs, "Result files (JSON); several make one report")->required();
  report->add_option("--format,-f", args->format, "md, html, junit, json or text")->capture_default_str();
  report->add_option("-o,--output", args->output, "Write here instead of standard output");
  report->add_option("--allow-list", args->allow_list, "Apply this allow-list to the saved results");
  report->add_flag("--strict", args->strict, "SHOULD failures fail too (as `run --strict`)");
  report->add_flag("--merge", args->merge,
                   "The inputs are shards of one run (`run --shard I/N`): one result of them all, its causes found "
                   "again; a shard missing, failed or interrupted fails it (-f json -o FILE keeps it)");
  report->add_option("--targets", args->targets, "For benchmark results: check these targets (bench/targets.json)");
  report->callback([args, &exit_code] { exit_code = render_saved(*args); });
}

}  // namespace sinkkit::cli
