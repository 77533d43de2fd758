#pragma once
// The options the `sinkkit` subcommands share: how the sink process is
// started and talked to (run, replay, bench), and what a suite run takes
// (run, replay), with their conversions to the kit's option structs.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <sinkkit/runners/suite.hpp>
#include <sinkkit/runners/wire_sink.hpp>

namespace sinkkit::cli {

/// Exit code of a usage or infrastructure error (0 and 1 are the verdict's).
inline constexpr int kExitUsage = 2;

// How the sink process is started and talked to: `run`, `replay` and `bench`.
struct SinkProcessArgs {
  std::string layout = "per-worker";
  int call_timeout_ms = 10'000;
  std::size_t max_line_mb = 64;
  std::string config;
  int network_stall_ms = 250;
  bool no_fork_server = false;
  std::vector<std::string> command;
};

void add_sink_process_options(CLI::App& app, SinkProcessArgs& p);

// What `run` and `replay` share.
struct Common : SinkProcessArgs {
  std::uint64_t seed = 0;
  bool seed_given = false;
  int budget = 100;
  int max_workers = 8;
  int rule_timeout_s = 300;
  bool strict = false;
  bool no_fork = false;
  int jobs = 1;  // rules checked at once (`run --jobs`; replay runs one)
  Shard shard;   // `run --shard I/N`: the rules of that part
  std::string scratch;  // --scratch; empty: default_scratch()
};

// Where a run makes its test targets unless --scratch says: /dev/shm when it
// is a RAM file system with 1 GiB free and TMPDIR is unset, else the system's
// temp directory (TMPDIR or /tmp).
std::filesystem::path default_scratch();

// The help of --seed and of the command differ: `run` picks a seed, `replay`
// needs the one it replays.
void add_common(CLI::App& app, Common& c, const std::string& seed_help, const std::string& command_help);

// Throws CLI::ValidationError naming --config when it is not a JSON object.
WireOptions wire_options(const SinkProcessArgs& c);

// `s` as one word of a POSIX shell command line.
std::string quote(const std::string& s);

// How a printed command names this binary: "sinkkit" when PATH finds it,
// else its full path.
std::string self_command();

// The suite's options for `rules` (all when empty), with the replay command
// each failure prints.
SuiteOptions suite_options(const Common& c, const std::vector<std::string>& rules);

// A random seed unless --seed was given.
void choose_seed(Common& c);

}  // namespace sinkkit::cli
