// `sinkkit run`: the rule catalogue (or some rules) against a sink process.

#include <memory>

#include "commands.hpp"
#include "options.hpp"
#include "suite_run.hpp"

namespace sinkkit::cli {

void add_run_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RunArgs>();
  auto* run = app.add_subcommand("run", "Run the rule catalogue against a sink process: sinkkit run [options] -- COMMAND...");
  add_run_options(*run, *args);
  run->callback([run, args, &exit_code] {
    const auto ids = validated_run_args(*run, *args);
    exit_code = run_and_report(args->common, ids, args->reporting);
  });
}

}  // namespace sinkkit::cli
