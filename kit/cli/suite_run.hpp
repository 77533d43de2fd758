#pragma once
// What `run` and `replay` share past their options: run the suite on the
// sink process, print the failures, write the reports and gate the result.

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sinkkit/reports/report.hpp>
#include <sinkkit/runners/allow_list.hpp>

#include "options.hpp"

namespace sinkkit::cli {

// Where and how a run is reported and gated.
struct Reporting {
  std::string dir;
  std::string formats = "all";
  std::string allow_list;
};

// The allow-list and the report formats a run is gated and reported with.
struct Gate {
  AllowList allow;
  std::vector<reports::ReportFormat> formats;
};

// Loads them; nothing (the error on stderr) when either cannot be used.
std::optional<Gate> load_gate(const Reporting& reporting);

// What `run` and `soak` take.
struct RunArgs {
  Common common;
  std::string rules_csv;
  std::string shard;
  Reporting reporting;
};

// Registers the options `run` and `soak` share on `cmd`.
void add_run_options(CLI::App& cmd, RunArgs& args);

// After parsing: the --rules ids (each checked against the catalogue), the
// shard into args.common, --config checked; throws CLI::ValidationError.
std::vector<std::string> validated_run_args(CLI::App& cmd, RunArgs& args);

// Starts the sink for a run: its hello made. Null when it could not be used,
// `exit_code` then set (the reason on stderr, and in the reports when a
// --report directory is given).
std::unique_ptr<WireSink> start_sink(Common& c, const Reporting& reporting,
                                     const std::vector<reports::ReportFormat>& formats, int& exit_code);

// Writes every report format asked for, listing the files on `out`; false
// (with the error on stderr) if it could not.
bool write_reports_of(const SuiteResult& result, const Reporting& reporting,
                      const std::vector<reports::ReportFormat>& formats, std::ostream& out);

// The sink's command line, each word quoted as a shell would need.
std::string command_line_of(const Common& c);

// Runs `rules` (all when empty) and returns the exit code: the suite's
// verdict, or kExitUsage when the allow-list, the report formats, the sink or
// the report directory cannot be used.
int run_and_report(Common& c, const std::vector<std::string>& rules, const Reporting& reporting);

}  // namespace sinkkit::cli
