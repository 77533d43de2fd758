#include "options.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>

#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

namespace sinkkit::cli {

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
  app.add_option("--config", p.config, "Config for each test target (JSON; {target} and {target_id} substituted, "
                                       "{proxy:HOST:PORT} too: see docs/faults.md), instead of the sink's config_template");
  app.add_option("--network-stall-ms", p.network_stall_ms,
                 "How long a stalled or half-dropped connection lasts before the fault proxy resets it (above the "
                 "sink's own client timeout to exercise it)")
      ->check(CLI::Range(1, 600'000))
      ->capture_default_str();
  app.add_flag("--no-fork-server", p.no_fork_server,
               "Start every sink process afresh, even when the sink offers a fork server (the Python adapter does: "
               "its processes are then forks of one that imported the sink once; see docs/wire-protocol.md)");
}

void add_common(CLI::App& app, Common& c, const std::string& seed_help, const std::string& command_help) {
  app.add_option("--seed", c.seed, seed_help);
  // SINKKIT_BUDGET and SINKKIT_MAX_WORKERS set the defaults, as they do for the
  // conformance programs (a CI job or a test that wants quicker runs sets
  // them once); CLI11 checks them as it checks the flags.
  app.add_option("--budget", c.budget, "Generated cases per rule")
      ->envname("SINKKIT_BUDGET")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--workers", c.max_workers, "Largest worker count generated")
      ->envname("SINKKIT_MAX_WORKERS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--rule-timeout-s", c.rule_timeout_s, "Time one rule's check may take before it fails as hung")
      ->check(CLI::Range(1, 86'400))
      ->capture_default_str();
  add_sink_process_options(app, c);
  app.add_option("--scratch", c.scratch,
                 "Where test targets are made (default: /dev/shm when it is a RAM file system with 1 GiB free and "
                 "TMPDIR is unset, else TMPDIR or /tmp). The kit's crash is a killed process, whose writes the page "
                 "cache keeps, and its power cut (SK-4.6) is modelled from the sink's calls, not from the disk, so "
                 "targets in memory change no verdict and spare the disk the sink's fsyncs; give a disk directory "
                 "for a sink that needs one (O_DIRECT)")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--strict", c.strict, "SHOULD rules that fail make the run fail too");
  app.add_flag("--no-fork", c.no_fork, "Run checks in this process (to debug the kit; a crashing sink takes it down)");
  app.add_option("command", c.command, command_help)->required();
}

WireOptions wire_options(const SinkProcessArgs& c) {
  WireOptions o;
  o.command = c.command;
  o.call_timeout = std::chrono::milliseconds(c.call_timeout_ms);
  o.max_line_bytes = c.max_line_mb << 20;
  o.layout = c.layout == "single" ? ProcessLayout::single : ProcessLayout::per_worker;
  o.network_stall = std::chrono::milliseconds(c.network_stall_ms);
  o.fork_server = !c.no_fork_server;
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

std::string self_command() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "sinkkit";
  // "sinkkit" when that is what PATH finds; the full path otherwise (a build
  // tree's binary), so that a reproduce line runs the same kit.
  if (const char* path = std::getenv("PATH")) {
    std::istringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      const auto candidate = fs::path(dir.empty() ? "." : dir) / "sinkkit";
      if (fs::exists(candidate, ec)) return fs::equivalent(candidate, self, ec) ? "sinkkit" : quote(self.string());
    }
  }
  return quote(self.string());
}

SuiteOptions suite_options(const Common& c, const std::vector<std::string>& rules) {
  SuiteOptions o;
  o.check.seed = c.seed;
  o.check.budget = c.budget;
  o.check.max_workers = c.max_workers;
  o.rules = rules;
  o.strict = c.strict;
  o.isolate = !c.no_fork;
  o.jobs = c.jobs;
  o.shard = c.shard;
  o.rule_timeout = std::chrono::seconds(c.rule_timeout_s);
  o.check.scratch = c.scratch.empty() ? default_scratch() : std::filesystem::path(c.scratch);
  o.reproduce = [c](const RuleResult& r) {
    std::string cmd = self_command() + " replay --rule " + r.id + " --seed " + std::to_string(r.seed) + " --budget " +
                      std::to_string(c.budget) + " --workers " + std::to_string(c.max_workers) + " --layout " + c.layout;
    if (!c.config.empty()) cmd += " --config " + quote(c.config);
    if (!c.scratch.empty()) cmd += " --scratch " + quote(c.scratch);
    if (c.network_stall_ms != SinkProcessArgs{}.network_stall_ms) {
      cmd += " --network-stall-ms " + std::to_string(c.network_stall_ms);
    }
    if (c.no_fork_server) cmd += " --no-fork-server";
    cmd += " --";
    for (const auto& a : c.command) cmd += " " + quote(a);
    return cmd;
  };
  return o;
}

std::filesystem::path default_scratch() {
  constexpr unsigned long kMinFree = 1UL << 30;
  const char* tmpdir = std::getenv("TMPDIR");
  struct statfs fs {};
  if ((tmpdir == nullptr || *tmpdir == '\0') && ::statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC &&
      static_cast<unsigned long>(fs.f_bavail) * static_cast<unsigned long>(fs.f_bsize) >= kMinFree &&
      ::access("/dev/shm", W_OK) == 0) {
    return "/dev/shm";
  }
  return std::filesystem::temp_directory_path();
}

void choose_seed(Common& c) {
  if (c.seed_given) return;
  std::random_device rd;
  c.seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace sinkkit::cli
