// `sinkkit run`: the rule catalogue (or some rules) against a sink process.

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <sinkkit/rules/catalogue.hpp>

#include "commands.hpp"
#include "options.hpp"
#include "suite_run.hpp"

namespace sinkkit::cli {

namespace {

struct RunArgs {
  Common common;
  std::string rules_csv;
  std::string shard;
  Reporting reporting;
};

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

void add_run_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RunArgs>();
  auto* run = app.add_subcommand("run", "Run the rule catalogue against a sink process: sinkkit run [options] -- COMMAND...");
  add_common(*run, args->common, "Seed of every rule's generated cases (default: random, printed)",
             "The sink command, after --: sinkkit run -- python3 my_sink.py");
  // SINKKIT_RULES narrows every `sinkkit run` of a job or a test at once
  // (the pytest plugin passes the environment through); the run's header
  // line names the rules, so a leftover value does not narrow a gate unseen.
  run->add_option("--rules", args->rules_csv, "Comma-separated rule ids to run (default: all; see `sinkkit rules`)")
      ->envname("SINKKIT_RULES");
  // Each rule runs in a child of its own and starts its own sink processes,
  // so rules can be checked side by side; seeds are per rule, so a replay
  // is the same whatever the count.
  args->common.jobs = usable_cores();
  run->add_option("--jobs,-j", args->common.jobs, "Rules checked at once, each in its own process (default: the cores)")
      ->envname("SINKKIT_JOBS")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  // A CI matrix or a Kubernetes Indexed Job runs one shard per job, each at
  // the same --seed; `sinkkit report --merge` makes their results one.
  run->add_option("--shard", args->shard,
                  "Check only shard I of N of the rules (I/N, from 1): rule k of the catalogue is shard k mod N + 1's; "
                  "N runs at one --seed check what one run does; merge their --report JSON with `sinkkit report --merge`")
      ->envname("SINKKIT_SHARD");
  run->add_option("--report", args->reporting.dir, "Write the reports (NAME.json, .md, .html, .junit.xml, .txt) to this directory");
  run->add_option("--report-formats", args->reporting.formats, "Which reports --report writes: json,md,html,junit,text or all")
      ->capture_default_str();
  run->add_option("--allow-list", args->reporting.allow_list,
                  "Known failures that do not fail the run (JSON: rule, reason, optional sink and expires; "
                  "see docs/reports.md); an expired entry fails the run");
  run->callback([run, args, &exit_code] {
    args->common.seed_given = run->count("--seed") > 0;
    const auto ids = rule_ids(args->rules_csv);
    if (!args->shard.empty()) {
      try {
        args->common.shard = parse_shard(args->shard);
      } catch (const std::invalid_argument& e) {
        throw CLI::ValidationError("--shard", e.what());
      }
    }
    (void)wire_options(args->common);  // validates --config before any process starts
    exit_code = run_and_report(args->common, ids, args->reporting);
  });
}

}  // namespace sinkkit::cli
