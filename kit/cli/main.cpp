// sinkkit: the conformance suite for sinks in any language, over the wire
// protocol. Exit codes: 0 conformant, 1 a MUST rule (or declared capability)
// failed, 2 usage or infrastructure error, 128 + N stopped by signal N.

#include <iostream>

#include <CLI/CLI.hpp>
#include <sinkkit/runners/suite.hpp>

#include "commands.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
  using namespace sinkkit::cli;
  CLI::App app{"sinkkit: run the sink conformance suite against a sink process that speaks the wire protocol "
               "(docs/wire-protocol.md). Exit codes: 0 conformant, 1 a MUST rule failed, 2 usage or "
               "infrastructure error, 128 + N stopped by signal N (130 SIGINT, 143 SIGTERM)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", sinkkit::kit_version());

  int exit_code = kExitUsage;  // the chosen subcommand's callback sets it
  add_run_command(app, exit_code);
  add_report_command(app, exit_code);
  add_bench_command(app, exit_code);
  add_replay_command(app, exit_code);
  add_rules_command(app, exit_code);
  add_soak_command(app, exit_code);

  try {
    app.parse(argc, argv);  // runs the chosen subcommand
    return exit_code;
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
}
