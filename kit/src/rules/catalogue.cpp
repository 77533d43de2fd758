#include <sinkkit/rules/catalogue.hpp>

#include <array>
#include <functional>
#include <stdexcept>
#include <string>

namespace sinkkit {
inline namespace rules {

namespace {

using L = RuleLevel;
using S = Scope;

// The catalogue. Wording changes are fine; ids and levels are a published
// contract (reports, allow-lists and CI gates refer to them).
constexpr std::array kRules = {
    Rule{"SK-1.1", L::must, "build once per worker",
         "build_partition succeeds once per worker, for every worker_index in [0, worker_count), with a valid "
         "config, for worker_count 1 to 8, with the workers' builds made at the same moment.",
         "The runtime builds every partition eagerly before any data; a sink that fails for some index or count "
         "never starts.",
         {S::every_sink},
         "Generated worker counts 1..8, no data, on a fresh target; one thread per worker, released together "
         "to build (a sink process per worker over the wire, already started); every build and close must return "
         "normally."},
    Rule{"SK-1.2", L::must, "invalid config rejected with its key named",
         "An invalid config is rejected at build with a ConfigError whose message names the offending key; the "
         "sink does not crash and leaves nothing in the target.",
         "A typo in streaming.sinks.<name> must stop the job at start-up with a message that says what to fix, "
         "not corrupt data or fail an hour later.",
         {S::harness_lists_invalid_configs},
         "Each invalid config of the harness is built; the error must be a ConfigError naming the key, and a "
         "read-back with the valid config must be empty."},
    Rule{"SK-1.3", L::capability, "null bridge rejected",
         "A sink that requires the async bridge rejects a null bridge at build with a clear error that mentions "
         "the bridge.",
         "Async sinks built without a bridge otherwise fail at the first write, or deadlock.",
         {S::declares_requires_bridge},
         "Build with bridge = nullptr; it must throw, and the message must mention the bridge."},
    Rule{"SK-1.4", L::should, "build alone writes nothing",
         "Building and closing partitions without writing leaves no item visible in the target.",
         "Jobs that fail right after start-up must not leave phantom rows or records behind.",
         {S::every_sink},
         "Build and close every partition with no write; the read-back must be empty."},
    Rule{"SK-2.1", L::must, "durable on return or on close",
         "The items of an acknowledged write_batch are durable when write_batch returns (durability on_return), "
         "or at the latest when close returns (on_close).",
         "The runtime advances its recovery state on return; what the sink acknowledged and then loses is lost "
         "for good.",
         {S::every_sink, "the moment follows the declared durability"},
         "on_return: a read-back after every acknowledged write must hold all acknowledged items so far; "
         "on_close: a read-back after close must hold them all."},
    Rule{"SK-2.2", L::capability, "per-partition order",
         "For a sink that declares ordered_per_partition, the read-back of one partition is the concatenation of "
         "its acknowledged batches in call order.",
         "Downstream consumers of ordered sinks (logs, CDC tables) rely on delivery order within a worker.",
         {S::declares_ordered_per_partition},
         "Generated workloads with faults; the oracle's reordered count must be 0 (the first inversion is shown)."},
    Rule{"SK-2.3", L::must, "no acknowledged item lost",
         "No item of an acknowledged write_batch is missing from the read-back once durability requires it, "
         "under any workload, interleaving and fault plan.",
         "Loss is the failure that matters most and is the hardest to notice in production.",
         {S::every_sink},
         "Generated workloads and fault plans (failed builds and writes, aborts, repeated closes, idle "
         "partitions); the oracle's lost count must be 0."},
    Rule{"SK-2.4", L::must, "nothing unexpected",
         "The read-back holds nothing that was never handed to the sink: no made-up, corrupted or foreign items.",
         "Corrupt or stray records poison every consumer of the target.",
         {S::every_sink},
         "Generated workloads; the oracle's unexpected count and the harness's corrupted count must be 0."},
    Rule{"SK-2.5", L::capability, "exactly once: no duplicates",
         "A sink that declares exactly_once stores each item at most once, also with repeated closes and after "
         "failures, its storage's included: a retried flush whose first attempt was stored, or whose reply was "
         "lost, must not store it twice.",
         "Exactly-once sinks are chosen because downstream cannot deduplicate.",
         {S::declares_exactly_once},
         "Generated workloads and fault plans (failed builds and writes, aborts, repeated closes); for a sink whose "
         "storage the kit can fail, two cases in three fail it once as SK-4.1 does (a file-system call, a "
         "connection reset, stalled, or losing its requests or its replies, or the sink's hook), the run writing "
         "on after the failure or not; the oracle's duplicated count must be 0. SK-4.1 to SK-4.4 count "
         "duplicates too for such sinks. For an at_least_once sink, every rule's report gives the duplicates its "
         "cases stored as a figure (\"at least once: 160 duplicates in 7 of 100 cases, after replies dropped\")."},
    Rule{"SK-2.6", L::must, "contravariant payloads",
         "Batches of subtypes of the payload (larger objects, the payload as a non-first base) are accepted and "
         "the read-back equals the payload projection of what was written.",
         "A sink for Base receives batches of any subtype of Base; a sink that assumes the exact type reads the "
         "wrong bytes.",
         {S::takes_subtype_batches},
         "Generated workloads delivered as arrays of SubtypeOf<payload>; the verdict must be clean and every "
         "stored item must equal make_item(key)."},
    Rule{"SK-2.7", L::must, "batch memory not retained",
         "A sink does not keep references into a batch after write_batch returns: the kit overwrites the batch "
         "memory once the call returns, and the read-back must not change.",
         "The runtime reuses batch buffers; a sink that defers copying stores whatever comes next.",
         {S::every_sink},
         "Generated workloads with poisoned batch memory; no poison or corrupted item may be stored."},
    Rule{"SK-2.8", L::should, "empty batches accepted",
         "An empty write_batch is accepted and changes nothing.",
         "Bytewax delivers an empty batch now and then.",
         {S::every_sink},
         "Workloads with many empty batches; every empty write must return normally and the verdict be clean."},
    Rule{"SK-2.9", L::must, "batch sizes 1 to max_batch_size",
         "Batches of any size from 1 to the declared max_batch_size (default 65,536) are written completely.",
         "Batch sizes follow the upstream; a sink with a hidden limit truncates or fails under load.",
         {S::every_sink},
         "Batches of max_batch_size/64, max_batch_size/8 and exactly max_batch_size first (a sink process is "
         "given time for the large one at the pace it kept on the smaller ones: slow is reported, not failed), "
         "then workloads whose batch sizes are drawn from 1 to max_batch_size on a log scale."},
    Rule{"SK-2.10", L::must, "concurrent workers do not interfere",
         "Partitions of different workers, running concurrently on their own threads, do not interfere: each "
         "keeps all its items.",
         "Workers run in parallel; unguarded shared state loses or mixes items.",
         {S::every_sink},
         "Threaded runs (one thread per worker, released together to build, 2..8 workers, epoch barrier), each "
         "epoch's calls in rounds that start together, each call after a delay drawn from the seed, so that calls "
         "which can race overlap whatever the seed; full-sized workloads from the first case, each run twice; the "
         "verdict must be clean. While a failure is shrunk, a smaller case passes only after five clean runs. The "
         "rule is checked with no other rule beside it: a race shows when the workers have the cores.",
         /*needs_the_cores=*/true},
    Rule{"SK-2.11", L::should, "split batches equal their concatenation",
         "Several write_batch calls in one epoch leave the same read-back as one call with their concatenation.",
         "The loom contract says one batch per epoch, Bytewax delivers several; the result must not depend on "
         "it.",
         {S::every_sink},
         "Each workload is run twice on fresh targets, once as generated and once with each epoch's batches "
         "merged; the read-backs must be equal."},
    Rule{"SK-3.1", L::must, "close is idempotent",
         "Calling close 2 to 5 times leaves the same read-back as calling it once, and no repeated close throws.",
         "Shutdown paths call close more than once (failure handling, then normal teardown).",
         {S::every_sink},
         "Each workload is run with close x1 and close xN on fresh targets; repeats must return normally and "
         "the read-backs must be equal."},
    Rule{"SK-3.2", L::must, "close without writes",
         "close succeeds on a partition that never got a write_batch.",
         "Idle workers are common: few keys, many workers.",
         {S::every_sink},
         "Partitions built and closed with no write (also whole runs with no epoch); close must return normally."},
    Rule{"SK-3.3", L::must, "close after a failure",
         "close succeeds after a failed write_batch on the partition, after a failed build elsewhere, and after "
         "another worker failed the run.",
         "close is the runtime's cleanup after every failure; a throwing close hides the first error and leaks.",
         {S::every_sink},
         "Fault plans with failed writes (before and after the sink saw them), failed builds and aborts, and, "
         "for a sink whose storage the kit can make fail (a hook, the file system, the network), a third of the "
         "cases with its storage failing too; every close of a built partition must return normally, but one in "
         "which the storage fault itself fired (a buffered sink's flush at close must report it)."},
    Rule{"SK-3.4", L::must, "close makes everything durable",
         "When close returns, every acknowledged item of the partition is durable.",
         "Buffered sinks (durability on_close) rely on close to flush; a flush forgotten at close loses the "
         "tail of every run.",
         {S::every_sink},
         "Generated workloads without faults; after close the oracle's lost count must be 0 for every "
         "partition."},
    Rule{"SK-3.5", L::should, "close releases OS resources",
         "After close, the open file descriptors, threads and child processes of each process hosting the sink "
         "return to what they were before build, without waiting for a garbage collector.",
         "Long-running workers rebuild sinks on every restart; leaks exhaust the process.",
         {S::inspectable_process},
         "Looks at /proc/PID (descriptors, each named: a file's path, a socket's peer, a pipe; threads; "
         "children) of the kit's own process for a harness, and of every sink process over the wire, before "
         "build and after close, on runs that may fail as SK-3.3's do (failed writes and builds, aborts, and a "
         "third with the sink's storage failing): a close after a failure releases them too. The same workload "
         "runs once first on a target of its own (what a process sets up once is not a leak per build); a sink "
         "process collects its garbage (the collect_garbage op) before the first look and after the second, and "
         "a descriptor only the collector released is a leak all the same."},
    Rule{"SK-3.6", L::should, "write after close fails",
         "A write_batch after close fails with an error; it never returns normally while dropping the items.",
         "A write the sink silently ignores is data loss that nobody sees.",
         {S::every_sink},
         "Partitions get one more write_batch after close; it must throw (and if it returns, its items must be "
         "durable)."},
    Rule{"SK-4.1", L::must, "acknowledged items survive a storage fault",
         "After a write_batch fails because storage failed, every item acknowledged before the failure is "
         "durable after close: per partition the durable items have no gap, and no record is torn.",
         "Buffered sinks that empty their buffer before the write (or roll back a transaction without keeping the "
         "rows) lose acknowledged rows on the first transient error.",
         {S::storage_can_fail},
         "Storage fails once on one partition, after a generated number of items: a write, fsync, rename or "
         "create under the target fails with EIO, ENOSPC or EDQUOT, or a write stores part of its bytes and the "
         "next call fails (the kit's file-system interposer); or the connection carrying the next request to the "
         "server is reset, stalled, or loses its requests or its replies, then is reset (the kit's TCP fault "
         "proxy); the sink is unmodified in both; or the sink's hook fails it. The run aborts and closes; the "
         "oracle's lost and gap counts and the corrupted records must be 0 (after a fresh build, for sinks "
         "declaring survives_crash or survives_power_loss), and for a sink declaring exactly_once its duplicated count too. Untested if "
         "no case reached the fault."},
    Rule{"SK-4.2", L::should, "buffered items kept for a later flush",
         "Items buffered when a flush fails are kept and written by a later flush: if writing goes on after the "
         "failure, everything acknowledged, before and after it, is durable after close.",
         "Retrying runtimes and sinks reused after an error must not drop what the failed flush held.",
         {S::storage_can_fail},
         "As SK-4.1, but the run goes on writing after the failed write_batch."},
    Rule{"SK-4.3", L::capability, "survives a crash",
         "After the worker process is killed at a random point, a fresh build and read-back hold every item "
         "acknowledged before the kill, and no torn record.",
         "Workers are killed (OOM, preemption) without close; recovery replays from the last acknowledged "
         "state.",
         {S::declares_survives_crash_on_return},
         "A child process runs the workload and reports each acknowledged write; it is SIGKILLed in the write "
         "that follows a generated number of them, a generated part of the run's mean write time after the sink "
         "was handed it (over the wire: after its process read the request): in a third of the cases before the "
         "sink has it (the state the acknowledged writes left), in the others 0.01 to 1.5 of a write into it, so "
         "that a kill lands in the middle of the sink's work; a fresh build and close precede the read-back, "
         "which must hold no loss, nothing unexpected, no corrupted record and, for a sink declaring "
         "exactly_once, no duplicate."},
    Rule{"SK-4.4", L::capability, "rescaling keeps everything",
         "A second run on the same target with a different worker_count (2 -> 4 and 4 -> 2) keeps everything "
         "the first run acknowledged and adds the second run's items; partitions whose worker_index repeats "
         "overwrite nothing.",
         "Jobs are rescaled between runs (Flink's connector suite checks the same); file sinks that name parts "
         "by worker_index and truncate lose the first run.",
         {S::declares_survives_crash},
         "Two runs on one target with worker counts 2 then 4, or 4 then 2; the second run's keys continue past "
         "the first's; the oracle judges both together."},
    Rule{"SK-4.5", L::must, "storage errors are not acknowledged",
         "A write_batch or close during which a storage write, rename or create failed raises, unless the sink "
         "made the failed call good before returning (wrote the same bytes again; write_batch of a sink "
         "declaring durability on_close may leave that to close). A write_batch of a sink declaring durability "
         "on_return raises when an fsync fails in it: a retry does not make it good.",
         "An error swallowed is an acknowledgement of data that may not be there; after a failed fsync the kernel "
         "may have dropped the unwritten pages, so a second fsync that succeeds proves nothing (PostgreSQL's fsync "
         "lesson).",
         {S::storage_fails_from_outside},
         "As SK-4.1, the run going on after the failure or not; the interposer reports which call failed and "
         "whether the sink wrote the same bytes again within the same call; a call that returned normally after "
         "an error not made good fails the rule. An fsync that fails in close is not judged (libraries sync for "
         "housekeeping there and may rightly ignore it). Over the network the proxy sees requests, not which of "
         "them mattered: a call that returned normally after its connection failed, without sending again on a "
         "new connection, fails the rule when acknowledged items are missing from storage."},
    Rule{"SK-4.6", L::capability, "survives power loss",
         "After a power cut at a generated point, a fresh build and read-back hold every item acknowledged before "
         "it (durability on_return) or closed before it (on_close), no torn record, and a read-back that works: "
         "what the durability class promises is on disk, not only in the page cache.",
         "A killed process leaves the page cache behind it; a power cut, a kernel panic or a host failure does "
         "not: data never fsynced, and names whose directory was never fsynced, are gone (ALICE, LazyFS).",
         {S::power_can_be_cut},
         "The kit's interposer journals every change the sink makes under its target (a copy of a file at each "
         "fsync, fdatasync, O_SYNC write or msync, the writes, truncations and name changes between); the power "
         "is cut after a generated number of acknowledged writes (during the next, as SK-4.3 kills, or right "
         "after the run's closes): every sink process killed, the target rewritten to a crash state, the "
         "strict one (a file's data as of its last sync, a name only where its directory was fsynced) or one "
         "the seed draws between it and the page cache's (each file a prefix of its unsynced writes, each "
         "unsynced name change kept or not), named in the trace and drawn again from the seed; then a fresh "
         "build and close, and the read-back; then the same cut in a state of the other kind (every cut is "
         "judged strict and drawn), rewritten from the same run's journal, recovered and read back again. For a "
         "sink that does not declare survives_power_loss, what a cut would have lost is said, not judged. "
         "Untested if no case wrote under the target (for a sink that does not declare it, not "
         "applicable)."},
    Rule{"SK-5.1", L::capability, "router branches do not collide",
         "Several partitions of one node on one worker (router branches), written interleaved, do not collide: "
         "each reads back as if it were alone.",
         "A router sends one stream to several branches of the same sink; their partitions share a worker_index.",
         {S::router_branch_safe},
         "Workloads with 2..3 branches per worker, interleaved; the verdict must be clean per partition."},
    Rule{"SK-6.1", L::must, "no bridge work after close",
         "No async work the sink submitted to the bridge is still running or queued when close returns.",
         "The adapter shuts the bridge down after close; work still queued is cancelled, and its data lost.",
         {S::every_sink, "trivially for sinks that do not use the bridge"},
         "After each close, the bridge's in-flight count must be 0, on runs that may fail as SK-3.3's do "
         "(failed writes and builds, aborts, and a third with the sink's storage failing)."},
    Rule{"SK-6.2", L::must, "session manager not disposed",
         "The session manager handed to build is not disposed by the sink, and every session it borrowed is "
         "returned by close.",
         "The session manager is the adapter's (a DB pool shared by several sinks); disposing it breaks the "
         "others.",
         {S::every_sink, "trivially for sinks that do not use it"},
         "The kit's SessionManager is handed to every build; after the run, which may fail as SK-3.3's do "
         "(failed writes and builds, aborts, and a third with the sink's storage failing), it must not be "
         "disposed and have no lease outstanding."},
    Rule{"SK-7.1", L::must, "a resume keeps every item",
         "After every worker is killed at any point, a resume that rebuilds every part with its snapshot of the "
         "last epoch all parts completed, and is delivered the epochs after it again, leaves every item in "
         "storage once the input is done, and no torn record; each snapshot survives a round trip through "
         "pickle, and a resumed part builds.",
         "Bytewax keeps a stateful sink's snapshots as its recovery state and resumes from them after a crash: a "
         "snapshot that runs ahead of what storage holds loses what lies between.",
         {S::stateful},
         "Parts are the sink's list_parts(), sorted; each item goes to the part its key routes to (part_fn, "
         "modulo their number), part i on worker i mod the worker count; every part's snapshot is taken at the "
         "end of every epoch (pickled, kept by the kit). Every worker is killed during a generated part write "
         "(or after an epoch's last write, before its snapshots); a "
         "resume on as many workers rebuilds every part with the last complete epoch's snapshots (none: afresh) "
         "and delivers the later epochs again. The oracle judges the read-back after the input: no lost item, no "
         "corrupted record."},
    Rule{"SK-7.2", L::capability, "a resume writes nothing twice",
         "After such a crash and resume, a sink declaring exactly_once holds each item once: the epochs delivered "
         "again after the resume are its to deduplicate.",
         "A replay is how Bytewax recovers; only the sink can remove what the crashed epoch had already written "
         "(truncate to the snapshot, or skip what it holds).",
         {S::stateful_exactly_once},
         "As SK-7.1; the oracle's duplicated count must be 0."},
    Rule{"SK-7.3", L::must, "a resume on another worker count keeps every part",
         "A resume on a different number of workers, its parts rebuilt on other workers than before, keeps "
         "every item.",
         "Dataflows are restarted with more or fewer workers; a part's state must not depend on the worker or "
         "process that held it.",
         {S::stateful},
         "As SK-7.1, but the resume runs on another worker count (1 to 4, not the first run's)."},
    Rule{"SK-7.4", L::should, "a foreign snapshot is refused",
         "A part built with a snapshot that is not its own (another part's) fails its build, loudly, instead of "
         "resuming from it.",
         "A recovery store mixed up between steps or parts would otherwise resume a part from another's "
         "position: silent loss or duplicates.",
         {S::stateful, "with two parts or more"},
         "After the input, each part is built again, on fresh processes, with the next part's last snapshot; "
         "every such build must fail with a config error (a process that dies or hangs in it fails the case). "
         "Untested if no part had a snapshot to hand on."},
};

}  // namespace

std::span<const Rule> catalogue() noexcept { return kRules; }

const Rule* find_rule(std::string_view id) noexcept {
  for (const auto& r : kRules)
    if (r.id == id) return &r;
  return nullptr;
}

const Rule& rule(std::string_view id) {
  if (const Rule* r = find_rule(id)) return *r;
  std::string known;
  for (const auto& r : kRules) known += (known.empty() ? "" : ", ") + std::string(r.id);
  throw std::out_of_range("no rule '" + std::string(id) + "'; the catalogue has " + known);
}

bool in_shard(const Rule& rule, const Shard& shard) {
  // By its id's place in the catalogue (a copy of a rule is placed as the
  // rule); an id the catalogue lacks (a test's own rule) by its hash.
  const Rule* listed = find_rule(rule.id);
  const auto position = listed != nullptr ? static_cast<std::size_t>(listed - catalogue().data())
                                          : std::hash<std::string_view>{}(rule.id);
  return shard.holds(position);
}

std::vector<const Rule*> rules_of_shard(const std::vector<const Rule*>& rules, const Shard& shard) {
  std::vector<const Rule*> mine;
  for (const Rule* r : rules) {
    if (in_shard(*r, shard)) mine.push_back(r);
  }
  return mine;
}

std::string applies_text(const Applies& applies) {
  std::string text;
  switch (applies.scope) {
    case Scope::every_sink: text = "every sink"; break;
    case Scope::harness_lists_invalid_configs:
      text = "sinks whose harness lists invalid configs (otherwise untested), and every wire sink (probes made from "
             "its config)";
      break;
    case Scope::declares_requires_bridge: text = "sinks declaring requires_bridge"; break;
    case Scope::declares_ordered_per_partition: text = "sinks declaring ordered_per_partition"; break;
    case Scope::declares_exactly_once: text = "sinks declaring delivery exactly_once"; break;
    case Scope::takes_subtype_batches:
      text = "in-process sinks whose payload is a non-final class (batches of a subclass), and every wire sink "
             "(items with a field it did not declare)";
      break;
    case Scope::inspectable_process:
      text = "every sink, on Linux: the kit's own process for a harness, each sink process over the wire "
             "(without /proc: untested)";
      break;
    case Scope::storage_can_fail:
      text = "sinks with storage under their target or a server named {proxy:HOST:PORT} (faults from outside), or a "
             "fault hook (otherwise untested)";
      break;
    case Scope::storage_fails_from_outside:
      text = "sinks with storage under their target or a server named {proxy:HOST:PORT} (faults from outside; a "
             "hook cannot tell what failed; otherwise untested)";
      break;
    case Scope::declares_survives_crash_on_return:
      text = "sinks declaring survives_crash (or survives_power_loss) and durability on_return";
      break;
    case Scope::declares_survives_crash: text = "sinks declaring survives_crash (or survives_power_loss)"; break;
    case Scope::router_branch_safe: text = "sinks whose node is router_branch_safe"; break;
    case Scope::power_can_be_cut:
      text = "sinks declaring survives_power_loss whose file calls the kit sees (through its interposer: a sink "
             "process, a conformance program; otherwise untested); for the others, what a cut would lose is said";
      break;
    case Scope::stateful:
      text = "sinks with stateful partitions (a Bytewax FixedPartitionedSink served with --bytewax)";
      break;
    case Scope::stateful_exactly_once:
      text = "sinks with stateful partitions declaring exactly_once";
      break;
  }
  if (!applies.remark.empty()) text += " (" + std::string(applies.remark) + ")";
  return text;
}

std::string catalogue_markdown() {
  std::string md = "| id | level | rule |\n|---|---|---|\n";
  for (const auto& r : kRules) {
    md += "| " + std::string(r.id) + " | " + std::string(to_string(r.level)) + " | " + std::string(r.title) + " |\n";
  }
  for (const auto& r : kRules) {
    md += "\n### " + std::string(r.id) + " " + std::string(r.title) + "\n\n";
    md += "- **Level:** " + std::string(to_string(r.level)) + "\n";
    md += "- **Applies to:** " + applies_text(r.applies) + "\n";
    md += "- **Statement:** " + std::string(r.statement) + "\n";
    md += "- **Rationale:** " + std::string(r.rationale) + "\n";
    md += "- **Checked by:** " + std::string(r.checked_by) + "\n";
  }
  return md;
}

}  // namespace rules
}  // namespace sinkkit
