#pragma once
// The `sinkkit` subcommands. Each registers its options on `app` and a
// callback that, when the subcommand is chosen, runs it and stores its exit
// code in `exit_code`. A callback throws CLI::ValidationError for a bad
// value, which main reports as a usage error like CLI11's own.

#include <CLI/CLI.hpp>

namespace sinkkit::cli {

void add_run_command(CLI::App& app, int& exit_code);
void add_report_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_replay_command(CLI::App& app, int& exit_code);
void add_rules_command(CLI::App& app, int& exit_code);
void add_soak_command(CLI::App& app, int& exit_code);

}  // namespace sinkkit::cli
