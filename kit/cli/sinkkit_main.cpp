// sinkkit: the conformance suite for sinks in any language, over the wire
// protocol. Exit codes: 0 conformant, 1 a MUST rule (or declared capability)
// failed, 2 usage or infrastructure error.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <sinkkit/reports/bench.hpp>
#include <sinkkit/reports/json_report.hpp>
#include <sinkkit/reports/report.hpp>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/runners/allow_list.hpp>
#include <sinkkit/runners/bench.hpp>
#include <sinkkit/runners/sink_process.hpp>
#include <sinkkit/runners/suite.hpp>
#include <sinkkit/runners/wire_sink.hpp>
#include <unistd.h>

namespace {

using namespace sinkkit;

constexpr int kExitUsage = 2;

// How the sink process is started and talked to: `run`, `replay` and `bench`.
struct SinkProcessArgs {
  std::string layout = "per-worker";
  int call_timeout_ms = 10'000;
  std::size_t max_line_mb = 64;
  std::string config;
  std::vector<std::string> command;
};

void add_sink_process_options(CLI::App& app, SinkProcessArgs& p) {
  app.add_option("--layout", p.layout, "Sink processes: one per worker, or one for all partitions")
      ->check(CLI::IsMember({"per-worker", "single"}))
      ->capture_default_str();
  app.add_option("--call-timeout-ms", p.call_timeout_ms, "Time a sink process has to answer one request")
      ->check(CLI::Range(1, 3'600'000))
      ->capture_default_str();
  app.add_option("--max-line-mb", p.max_line_mb, "Longest response line accepted from the sink, in MiB")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--config", p.config, "Config for each test target (JSON; {target} and {target_id} substituted), "
                                       "instead of the sink's config_template");
}

// What `run` and `replay` share.
struct Common : SinkProcessArgs {
  std::uint64_t seed = 0;
  bool seed_given = false;
  int budget = 100;
  int max_workers = 8;
  int rule_timeout_s = 300;
  bool strict = false;
  bool no_fork = false;
};

void add_common(CLI::App& app, Common& c) {
  app.add_option("--seed", c.seed, "Seed of every rule's generated cases (default: random, printed)");
  app.add_option("--budget", c.budget, "Generated cases per rule")->check(CLI::Range(1, 1'000'000))->capture_default_str();
  app.add_option("--workers", c.max_workers, "Largest worker count generated")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--rule-timeout-s", c.rule_timeout_s, "Time one rule's check may take before it fails as hung")
      ->check(CLI::Range(1, 86'400))
      ->capture_default_str();
  add_sink_process_options(app, c);
  app.add_flag("--strict", c.strict, "SHOULD rules that fail make the run fail too");
  app.add_flag("--no-fork", c.no_fork, "Run checks in this process (to debug the kit; a crashing sink takes it down)");
  app.add_option("command", c.command, "The sink command, after --: sinkkit run -- python3 my_sink.py")->required();
}

WireOptions wire_options(const SinkProcessArgs& c) {
  WireOptions o;
  o.command = c.command;
  o.call_timeout = std::chrono::milliseconds(c.call_timeout_ms);
  o.max_line_bytes = c.max_line_mb << 20;
  o.layout = c.layout == "single" ? ProcessLayout::single : ProcessLayout::per_worker;
  if (!c.config.empty()) {
    try {
      o.config = nlohmann::json::parse(c.config);
    } catch (const nlohmann::json::exception& e) {
      throw CLI::ValidationError("--config", std::string("not JSON: ") + e.what());
    }
    if (!o.config->is_object()) throw CLI::ValidationError("--config", "must be a JSON object");
  }
  return o;
}

std::string quote(const std::string& s) {
  if (s.find_first_of(" \t'\"$`\\") == std::string::npos && !s.empty()) return s;
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

SuiteOptions suite_options(const Common& c, const std::vector<std::string>& rules) {
  SuiteOptions o;
  o.check.seed = c.seed;
  o.check.budget = c.budget;
  o.check.max_workers = c.max_workers;
  o.rules = rules;
  o.strict = c.strict;
  o.isolate = !c.no_fork;
  o.rule_timeout = std::chrono::seconds(c.rule_timeout_s);
  o.reproduce = [c](const RuleResult& r) {
    std::string cmd = "sinkkit replay --rule " + r.id + " --seed " + std::to_string(r.seed) + " --budget " +
                      std::to_string(c.budget) + " --workers " + std::to_string(c.max_workers) + " --layout " + c.layout;
    if (!c.config.empty()) cmd += " --config " + quote(c.config);
    cmd += " --";
    for (const auto& a : c.command) cmd += " " + quote(a);
    return cmd;
  };
  return o;
}

void choose_seed(Common& c) {
  if (c.seed_given) return;
  std::random_device rd;
  c.seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

// Where and how a run is reported and gated.
struct Reporting {
  std::string dir;
  std::string formats = "all";
  std::string allow_list;
};

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
  std::unique_ptr<WireSink> sut;
  try {
    sut = std::make_unique<WireSink>(wire_options(c));
  } catch (const WireError& e) {
    std::cerr << "sinkkit: cannot use the sink: " << e.what() << "\n";
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
  std::string command_line;
  for (const auto& a : c.command) command_line += (command_line.empty() ? "" : " ") + quote(a);
  std::cout << "sinkkit " << kit_version() << ": sink '" << sut->name() << "' (" << command_line << "), seed " << c.seed << ", budget " << c.budget << ", workers up to "
            << c.max_workers << ", layout " << c.layout << std::endl;
  SuiteResult result;
  try {
    result = run_suite(*sut, options);
  } catch (const std::out_of_range& e) {
    std::cerr << "sinkkit: " << e.what() << "\n";
    return kExitUsage;
  }
  result.harness = command_line;
  apply_allow_list(result, allow, utc_today());
  for (const auto& r : result.rules) {
    if (r.broken()) std::cout << "\n" << r.to_text();
  }
  for (const auto& n : result.gate_notes) std::cout << "\nnote: " << n << "\n";
  for (const auto& e : result.gate_errors) std::cout << "\nerror: " << e << "\n";
  if (!reporting.dir.empty()) {
    try {
      std::cout << "\nreports:";
      for (const auto& path : reports::write_reports({result}, reporting.dir, formats, result.sink)) {
        std::cout << " " << path.string();
      }
      std::cout << "\n";
    } catch (const std::exception& e) {
      std::cerr << "sinkkit: " << e.what() << "\n";
      return kExitUsage;
    }
  }
  std::cout << "\n" << result.summary_line() << std::endl;
  return result.exit_code();
}

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

int render_saved(const std::vector<std::string>& inputs, const std::string& format, const std::string& output,
                 const std::string& allow_list, bool strict, const std::string& targets_file) {
  try {
    const auto f = reports::report_format_from(format);
    const auto benches = std::count_if(inputs.begin(), inputs.end(), is_bench_file);
    if (benches > 0) {
      if (static_cast<std::size_t>(benches) != inputs.size()) {
        throw std::invalid_argument("mixed inputs: give either conformance results or benchmark results");
      }
      return render_bench(inputs, f, output, targets_file);
    }
    AllowList allow;
    if (!allow_list.empty()) allow = AllowList::load(allow_list);
    std::vector<SuiteResult> runs;
    for (const auto& in : inputs) {
      runs.push_back(reports::read_json_report(in));
      auto& run = runs.back();
      run.strict = run.strict || strict;
      if (!allow_list.empty()) {
        // Re-gate from scratch: the saved marks may come from another list.
        run.gate_errors.clear();
        run.gate_notes.clear();
        for (auto& r : run.rules) r.allowed.reset(), r.allowed_until.clear();
        apply_allow_list(run, allow, utc_today());
      }
    }
    const auto text = reports::render(runs, f);
    if (output.empty()) {
      std::cout << text;
    } else {
      reports::write_file_atomically(output, text);
    }
    int status = 0;
    for (const auto& run : runs) status = std::max(status, run.exit_code());
    return status;
  } catch (const std::exception& e) {
    std::cerr << "sinkkit report: " << e.what() << "\n";
    return kExitUsage;
  }
}

struct BenchArgs : SinkProcessArgs {
  std::string batch_sizes = "1,16,256,4096";
  std::string workers = "1,2,4";
  int repetitions = 5;
  std::int64_t items = 1 << 14;
  std::string out, report_dir, baseline, input, max_regression = "10%";
};

void add_bench_options(CLI::App& app, BenchArgs& b) {
  app.add_option("--batch-sizes", b.batch_sizes, "Comma-separated batch sizes")->capture_default_str();
  app.add_option("--workers", b.workers, "Comma-separated worker counts")->capture_default_str();
  app.add_option("--repetitions", b.repetitions, "Runs per configuration; medians are compared")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--items", b.items, "Items per run")->check(CLI::Range(1, 1'000'000'000))->capture_default_str();
  app.add_option("--out,-o", b.out, "Write the results (Google Benchmark compatible JSON) here");
  app.add_option("--report", b.report_dir, "Write bench.json, bench.md and bench.html to this directory");
  app.add_option("--baseline", b.baseline, "Earlier results to compare with: exit 1 on a regression");
  app.add_option("--max-regression", b.max_regression, "Largest accepted drop in median throughput (beyond the noise)")
      ->capture_default_str();
  app.add_option("--input", b.input, "Compare these saved results with --baseline instead of running a sink");
  add_sink_process_options(app, b);
  app.add_option("command", b.command, "The sink command, after --");
}

template <class T>
std::vector<T> numbers(const std::string& csv, const char* option) {
  std::vector<T> out;
  std::stringstream in(csv);
  for (std::string item; std::getline(in, item, ',');) {
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || v < 1) throw CLI::ValidationError(option, "'" + item + "' is not a positive whole number");
    out.push_back(static_cast<T>(v));
  }
  if (out.empty()) throw CLI::ValidationError(option, "no values given");
  return out;
}

int run_bench_command(const BenchArgs& b) {
  const double limit = [&] {
    try {
      return reports::parse_fraction(b.max_regression);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("--max-regression", e.what());
    }
  }();
  nlohmann::json results;
  try {
    if (!b.input.empty()) {
      if (b.baseline.empty()) throw CLI::ValidationError("--input", "compares saved results: give --baseline too");
      std::ifstream in(b.input);
      if (!in) throw std::runtime_error(b.input + ": cannot open the results");
      results = nlohmann::json::parse(in);
    } else {
      if (b.command.empty()) throw CLI::ValidationError("command", "give the sink command after -- (or --input)");
      BenchOptions options;
      options.batch_sizes = numbers<std::uint32_t>(b.batch_sizes, "--batch-sizes");
      options.workers = numbers<int>(b.workers, "--workers");
      options.repetitions = b.repetitions;
      options.items_per_run = b.items;
      options.progress = &std::cout;
      WireSink sut(wire_options(b));
      std::cout << "sinkkit bench: sink '" << sut.name() << "', " << b.repetitions << " repetitions per configuration"
                << std::endl;
      results = run_bench(sut, options);
      results["context"]["command"] = b.command;
    }
    const auto now = reports::bench_results_from_json(results, b.input.empty() ? "sinkkit bench" : b.input);
    if (!b.out.empty()) reports::write_file_atomically(b.out, results.dump(2) + "\n");
    std::optional<reports::Comparison> comparison;
    if (!b.baseline.empty()) comparison = reports::compare_bench(reports::read_bench_results(b.baseline), now, limit);
    if (!b.report_dir.empty()) {
      const std::filesystem::path dir(b.report_dir);
      const auto* cmp = comparison ? &*comparison : nullptr;
      reports::write_file_atomically(dir / "bench.json", results.dump(2) + "\n");
      reports::write_file_atomically(dir / "bench.md", reports::render_bench_markdown({now}, {}, cmp));
      reports::write_file_atomically(dir / "bench.html", reports::render_bench_html({now}, {}, cmp));
      std::cout << "reports: " << (dir / "bench.{json,md,html}").string() << "\n";
    }
    if (comparison) {
      for (const auto& m : comparison->missing) std::cout << "not in the new results: " << m << "\n";
      if (comparison->regressed()) {
        std::cout << "REGRESSION (median throughput down more than " << b.max_regression << " and beyond the noise):\n"
                  << comparison->regressions_text();
        return 1;
      }
      std::cout << "no regression against " << b.baseline << " (" << comparison->changes.size()
                << " benchmarks compared, limit " << b.max_regression << ")\n";
    }
    return 0;
  } catch (const CLI::ValidationError&) {
    throw;
  } catch (const std::exception& e) {
    std::cerr << "sinkkit bench: " << e.what() << "\n";
    return kExitUsage;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sinkkit: run the sink conformance suite against a sink process that speaks the wire protocol "
               "(docs/wire-protocol.md). Exit codes: 0 conformant, 1 a MUST rule failed, 2 usage or "
               "infrastructure error."};
  app.require_subcommand(1);
  app.set_version_flag("--version", sinkkit::kit_version());

  Common run_args;
  std::string rules_csv;
  Reporting reporting;
  auto* run = app.add_subcommand("run", "Run the rule catalogue against a sink process: sinkkit run [options] -- COMMAND...");
  add_common(*run, run_args);
  run->add_option("--rules", rules_csv, "Comma-separated rule ids to run (default: all; see `sinkkit rules`)");
  run->add_option("--report", reporting.dir, "Write the reports (NAME.json, .md, .html, .junit.xml, .txt) to this directory");
  run->add_option("--report-formats", reporting.formats, "Which reports --report writes: json,md,html,junit,text or all")
      ->capture_default_str();
  run->add_option("--allow-list", reporting.allow_list,
                  "Known failures that do not fail the run (JSON: rule, reason, optional sink and expires; "
                  "see docs/reports.md); an expired entry fails the run");

  std::vector<std::string> report_inputs;
  std::string report_format = "md", report_output, report_allow;
  bool report_strict = false;
  auto* report = app.add_subcommand(
      "report", "Render saved results (the JSON of `run --report` or SINKKIT_REPORT_DIR): sinkkit report IN.json... "
                "--format md|html|junit|json|text [-o OUT]. Exits as the run would: 0 conformant, 1 not, 2 error");
  report->add_option("inputs", report_inputs, "Result files (JSON); several make one report")->required();
  report->add_option("--format,-f", report_format, "md, html, junit, json or text")->capture_default_str();
  report->add_option("-o,--output", report_output, "Write here instead of standard output");
  report->add_option("--allow-list", report_allow, "Apply this allow-list to the saved results");
  report->add_flag("--strict", report_strict, "SHOULD failures fail too (as `run --strict`)");
  std::string report_targets;
  report->add_option("--targets", report_targets, "For benchmark results: check these targets (bench/targets.json)");

  BenchArgs bench_args;
  auto* bench = app.add_subcommand(
      "bench", "Measure a sink process: throughput, write_batch latency percentiles and close latency over a grid of "
               "batch sizes and workers; with --baseline, fail (exit 1) on a regression: sinkkit bench [options] -- COMMAND...");
  add_bench_options(*bench, bench_args);

  Common replay_args;
  std::string replay_rule;
  auto* replay = app.add_subcommand("replay", "Re-run one rule from its seed, printing the whole counterexample");
  add_common(*replay, replay_args);
  replay->add_option("--rule", replay_rule, "The rule id, e.g. SK-2.3")->required();

  bool markdown = false, as_json = false;
  auto* rules = app.add_subcommand("rules", "List the rule catalogue");
  rules->add_flag("--markdown", markdown, "As the Markdown of docs/spec.md");
  rules->add_flag("--json", as_json, "As JSON");

  try {
    app.parse(argc, argv);
    run_args.seed_given = run->count("--seed") > 0;
    replay_args.seed_given = replay->count("--seed") > 0;
    if (*run) {
      std::vector<std::string> ids;
      std::stringstream in(rules_csv);
      for (std::string id; std::getline(in, id, ',');) {
        if (id.empty()) continue;
        if (find_rule(id) == nullptr) throw CLI::ValidationError("--rules", "unknown rule id '" + id + "' (see `sinkkit rules`)");
        ids.push_back(id);
      }
      (void)wire_options(run_args);  // validates --config before any process starts
      return run_and_report(run_args, ids, reporting);
    }
    if (*replay) {
      if (find_rule(replay_rule) == nullptr) throw CLI::ValidationError("--rule", "unknown rule id '" + replay_rule + "'");
      if (!replay_args.seed_given) throw CLI::ValidationError("--seed", "replay needs the seed of the run to replay");
      (void)wire_options(replay_args);
      return run_and_report(replay_args, {replay_rule}, {});
    }
    if (*report) {
      return render_saved(report_inputs, report_format, report_output, report_allow, report_strict, report_targets);
    }
    if (*bench) return run_bench_command(bench_args);
    if (*rules) {
      if (markdown) {
        std::cout << catalogue_markdown();
      } else if (as_json) {
        auto j = nlohmann::json::array();
        for (const auto& r : catalogue()) {
          j.push_back({{"id", r.id}, {"level", to_string(r.level)}, {"title", r.title}, {"statement", r.statement},
                       {"applies", r.applies}, {"checked_by", r.checked_by}});
        }
        std::cout << j.dump(2) << "\n";
      } else {
        for (const auto& r : catalogue()) {
          std::printf("%-8s %-11s %s\n", std::string(r.id).c_str(), std::string(to_string(r.level)).c_str(),
                      std::string(r.title).c_str());
        }
      }
      return 0;
    }
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion&) {
    std::cout << sinkkit::kit_version() << "\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "sinkkit: " << e.what() << "\nRun `sinkkit --help` (or `sinkkit run --help`) for the options.\n";
    return kExitUsage;
  }
  return kExitUsage;
}
