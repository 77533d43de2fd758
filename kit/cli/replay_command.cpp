// `sinkkit replay`: one rule again from the seed a failed run printed, with
// the whole counterexample (the reproduce command of a failure is this).

#include <memory>
#include <string>

#include <sinkkit/rules/catalogue.hpp>

#include "commands.hpp"
#include "options.hpp"
#include "suite_run.hpp"

namespace sinkkit::cli {

namespace {

struct ReplayArgs {
  Common common;
  std::string rule;
};

}  // namespace

void add_replay_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReplayArgs>();
  auto* replay = app.add_subcommand(
      "replay", "Re-run one rule from the seed a failed run printed, showing the whole counterexample (each failure "
                "prints its replay command): sinkkit replay --rule ID --seed N [options] -- COMMAND...");
  add_common(*replay, args->common, "Seed of the run to replay, as the failure printed it (required)",
             "The sink command, after --: sinkkit replay --rule SK-4.1 --seed 123 -- python3 my_sink.py");
  replay->add_option("--rule", args->rule, "The rule id, e.g. SK-2.3")->required();
  replay->callback([replay, args, &exit_code] {
    args->common.seed_given = replay->count("--seed") > 0;
    if (find_rule(args->rule) == nullptr) throw CLI::ValidationError("--rule", "unknown rule id '" + args->rule + "'");
    if (!args->common.seed_given) throw CLI::ValidationError("--seed", "replay needs the seed of the run to replay");
    (void)wire_options(args->common);  // validates --config before any process starts
    exit_code = run_and_report(args->common, {args->rule}, {});
  });
}

}  // namespace sinkkit::cli
