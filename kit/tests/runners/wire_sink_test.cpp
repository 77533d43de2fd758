// WireSink, the runner's side of the wire protocol, against a small sink
// process in Python: what hello declares, where partitions live (one process
// per worker or one for all), what reaches storage and comes back, and how a
// failing or dying sink fails the case without taking the runner down.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include <gtest/gtest.h>
#include <sinkkit/runners/sink_process.hpp>
#include <sinkkit/runners/wire_sink.hpp>
#include <unistd.h>

namespace {

using namespace sinkkit;
namespace fs = std::filesystem;

// A line-per-item sink: partition P appends to {dir}/P.jsonl and notes its
// process id in {dir}/pids. Its hello takes the capabilities from argv[1];
// a config with "fail_writes" makes every write fail with kind "write", and
// one with "die_on_write" makes the process exit mid-call.
const std::string kSink = R"(
import json, os, sys
caps = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
parts = {}
def ok(**f): return dict(ok=True, **f)
def err(kind, msg): return {"ok": False, "error": {"kind": kind, "message": msg}}
for line in sys.stdin:
    r = json.loads(line); op = r["op"]
    if op == "hello":
        out = ok(protocol=1, sink={"name": "tiny", "router_branch_safe": True,
                 "payload": {"fields": {"value": "int"}}, "capabilities": caps})
    elif op == "build":
        c = r["config"]
        if not isinstance(c.get("dir"), str): out = err("config", "dir: must be a string")
        else:
            parts[r["partition"]] = c
            with open(os.path.join(c["dir"], "pids"), "a") as f: f.write(f"{r['partition']} {os.getpid()}\n")
            out = ok()
    elif op == "write_batch":
        c = parts[r["partition"]]
        if c.get("die_on_write"): os._exit(3)
        if c.get("fail_writes"): out = err("write", "disk full")
        else:
            with open(os.path.join(c["dir"], r["partition"] + ".jsonl"), "a") as f:
                for item in r["items"]: f.write(json.dumps(item) + "\n")
            out = ok()
    elif op == "close": out = ok()
    elif op == "read_back":
        d = r["config"]["dir"]; items = []
        for name in sorted(os.listdir(d)):
            if name.endswith(".jsonl"):
                items += [json.loads(l) for l in open(os.path.join(d, name))]
        out = ok(items=items)
    elif op == "shutdown":
        print(json.dumps(ok()), flush=True); break
    else: out = err("protocol", "unknown op " + op)
    print(json.dumps(out), flush=True)
)";

WireOptions options(const std::string& capabilities = "{}") {
  WireOptions o;
  o.command = {SINKKIT_PYTHON, "-c", kSink, capabilities};
  o.call_timeout = std::chrono::seconds(20);  // slow machines: a Python start is not a hang
  return o;
}

class WireSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    target_.dir = fs::temp_directory_path() / ("sinkkit-wire-sink-test-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    target_.id = "t";
    fs::remove_all(target_.dir);
    fs::create_directories(target_.dir);
  }
  void TearDown() override { fs::remove_all(target_.dir); }

  // Runs `workers` workers of one partition each, and counts the partitions
  // built and the distinct processes that built them (from the sink's notes).
  std::pair<std::size_t, std::size_t> partitions_and_processes(WireSink& sut, int workers) {
    (void)sut.run(sut.make_config(target_), workload(workers, 1));
    std::map<std::string, std::string> pid_of;
    std::ifstream in(target_.dir / "pids");
    std::string partition, pid;
    while (in >> partition >> pid) pid_of[partition] = pid;
    std::set<std::string> pids;
    for (const auto& [name, p] : pid_of) pids.insert(p);
    return {pid_of.size(), pids.size()};
  }

  static RunRequest workload(int workers, std::uint32_t items_per_batch) {
    RunRequest r;
    r.workload = Workload::empty(workers, 1, 2);
    for (auto& cell : r.workload.cells) cell.push_back(items_per_batch);
    return r;
  }

  TestTarget target_;
};

TEST_F(WireSinkTest, HelloGivesTheNameCapabilitiesAndConfigTemplate) {
  WireSink sut(options(R"({"durability": "on_close", "max_batch_size": 8, "fault_injection": false})"));
  EXPECT_EQ(sut.name(), "tiny");
  EXPECT_TRUE(sut.router_branch_safe());
  EXPECT_EQ(sut.capabilities().durability, Durability::on_close);
  EXPECT_EQ(sut.capabilities().max_batch_size, 8U);
  EXPECT_EQ(sut.capabilities().delivery, Delivery::exactly_once) << "a missing name keeps the kit's default";
  // No fault op of its own: its storage fails from outside, through the
  // kit's interposer preloaded into its processes, unless that is turned off.
  EXPECT_EQ(sut.storage_fault_mechanism(), StorageFaultMechanism::file_system);
  auto no_interposer = options(R"({"fault_injection": false})");
  no_interposer.file_system_faults = false;
  EXPECT_FALSE(WireSink(no_interposer).can_fail_storage());
  EXPECT_EQ(WireSink(options(R"({"fault_injection": true})")).storage_fault_mechanism(), StorageFaultMechanism::hook);
  // No config_template in the hello: the protocol's default, {"dir": "{target}"}.
  EXPECT_EQ(sut.make_config(target_), (nlohmann::json{{"dir", target_.dir.string()}}));
}

TEST_F(WireSinkTest, AMisspeltCapabilityIsRefusedNamingIt) {
  try {
    WireSink sut(options(R"({"durabilty": "on_close"})"));
    FAIL() << "a hello with an unknown capability must be refused";
  } catch (const WireError& e) {
    EXPECT_NE(std::string(e.what()).find("durabilty"), std::string::npos) << e.what();
  }
}

TEST_F(WireSinkTest, EveryAcknowledgedItemComesBackByItsKey) {
  WireSink sut(options());
  const auto config = sut.make_config(target_);
  const Trace trace = sut.run(config, workload(2, 3));
  std::set<ItemKey> acknowledged;
  for (const auto& ev : trace.events) {
    if (!ev.acknowledged()) continue;
    for (std::uint32_t i = 0; i < ev.size; ++i) acknowledged.insert(ev.key(i));
  }
  ASSERT_EQ(acknowledged.size(), 2U * 2U * 3U) << "2 workers x 2 epochs x 3 items";
  const auto stored = sut.read_back(config);
  EXPECT_EQ(std::set<ItemKey>(stored.keys.begin(), stored.keys.end()), acknowledged);
  EXPECT_EQ(stored.corrupted, 0);
}

TEST_F(WireSinkTest, PerWorkerLayoutGivesEachWorkerItsOwnProcess) {
  WireSink sut(options());
  EXPECT_EQ(partitions_and_processes(sut, 3), std::make_pair(std::size_t{3}, std::size_t{3}));
}

TEST_F(WireSinkTest, SingleLayoutPutsEveryPartitionInOneProcess) {
  auto o = options();
  o.layout = ProcessLayout::single;
  WireSink sut(o);
  EXPECT_EQ(partitions_and_processes(sut, 3), std::make_pair(std::size_t{3}, std::size_t{1}));
}

TEST_F(WireSinkTest, AnErrorResponseIsAFailedCallWithItsKindAndMessage) {
  auto o = options();
  o.config = nlohmann::json{{"dir", "{target}"}, {"fail_writes", true}};
  WireSink sut(o);
  const Trace trace = sut.run(sut.make_config(target_), workload(1, 2));
  const auto write = std::find_if(trace.events.begin(), trace.events.end(),
                                  [](const TraceEvent& ev) { return ev.kind == CallKind::write_batch; });
  ASSERT_NE(write, trace.events.end());
  EXPECT_EQ(write->sink_outcome, Outcome::threw);
  EXPECT_EQ(write->error_kind, "write");
  EXPECT_EQ(write->message, "disk full");
}

TEST_F(WireSinkTest, ASinkThatDiesMidCallFailsTheCaseAndIsReplacedForTheNext) {
  auto dying = options();
  dying.config = nlohmann::json{{"dir", "{target}"}, {"die_on_write", true}};
  WireSink sut(dying);
  try {
    (void)sut.run(sut.make_config(target_), workload(1, 1));
    FAIL() << "a sink process that exits mid-call must fail the case";
  } catch (const SinkBroke& e) {
    EXPECT_NE(std::string(e.what()).find("exit"), std::string::npos) << e.what();
  }
  // The runner is still usable: a fresh process serves the next case.
  auto config = sut.make_config(target_);
  config["die_on_write"] = false;
  const Trace trace = sut.run(config, workload(1, 1));
  EXPECT_TRUE(std::any_of(trace.events.begin(), trace.events.end(),
                          [](const TraceEvent& ev) { return ev.acknowledged(); }));
}

// Items made ahead (the benchmarks) carry their encoding: the requests the
// sink receives are byte for byte those of items made at each call, in every
// item encoding, for exact and subtype batches.
const std::string kRecordingSink = R"(
import json, os, sys
inp = sys.stdin.buffer
dirs = {}
while True:
    line = inp.readline()
    if not line: break
    r = json.loads(line); op = r["op"]; resp = {"ok": True}
    if op == "hello":
        resp.update(protocol=1, item_encodings=json.loads(sys.argv[1]),
                    sink={"name": "recorder", "router_branch_safe": True, "capabilities": {},
                          "payload": {"fields": {"value": "int", "label": "string", "ratio": "float", "flag": "bool"}}})
    elif op == "build": dirs[r["partition"]] = r["config"]["dir"]
    elif op == "write_batch":
        block = inp.read(r["items_bytes"]) if "items_bytes" in r else b""
        with open(os.path.join(dirs[r["partition"]], "requests"), "ab") as f: f.write(line + block)
    elif op == "read_back": resp["items"] = []
    print(json.dumps(resp), flush=True)
    if op == "shutdown": break
)";

TEST_F(WireSinkTest, ItemsMadeAheadReachTheSinkAsTheSameRequests) {
  for (const std::string encodings : {R"(["objects"])", R"(["rows"])", R"(["pickle"])"}) {
    WireOptions o;
    o.command = {SINKKIT_PYTHON, "-c", kRecordingSink, encodings};
    o.call_timeout = std::chrono::seconds(20);
    o.fork_server = false;
    WireSink sut(o);
    for (const auto view : {PayloadView::exact, PayloadView::subtype}) {
      std::string sent[2];
      for (const bool ahead : {false, true}) {
        const TestTarget target{target_.dir / (std::to_string(ahead) + encodings.substr(2, 1) +
                                               std::to_string(static_cast<int>(view))),
                                "t"};
        fs::create_directories(target.dir);
        auto request = workload(1, 5);
        request.simulation.items_made_ahead = ahead;
        request.simulation.view = view;
        const auto trace = sut.run(nlohmann::json{{"dir", target.dir.string()}}, request);
        ASSERT_FALSE(trace.aborted) << trace.abort_reason;
        std::ifstream in(target.dir / "requests", std::ios::binary);
        sent[ahead] = std::string(std::istreambuf_iterator<char>(in), {});
        // Partition names count the runs ("p3-w0-b0"): the same name in both.
        const std::string named = R"("partition":"p)";
        for (auto at = sent[ahead].find(named); at != std::string::npos; at = sent[ahead].find(named, at + 1)) {
          const auto digits = at + named.size();
          sent[ahead].replace(digits, sent[ahead].find('-', digits) - digits, "N");
        }
      }
      EXPECT_NE(sent[0].find("write_batch"), std::string::npos) << encodings;
      EXPECT_EQ(sent[0].find("sinkkit_subtype") != std::string::npos, view == PayloadView::subtype) << encodings;
      EXPECT_EQ(sent[1], sent[0]) << encodings << " made ahead differs";
    }
  }
}

// The crash rule's kill over the wire lands once the sink process has read
// the fatal write, into its work on it: at 0.5 of a write's time, midway.
const std::string kSlowSink = R"(
import json, os, sys, time
dirs = {}
for line in sys.stdin:
    r = json.loads(line); op = r["op"]; resp = {"ok": True}
    if op == "hello":
        resp.update(protocol=1, sink={"name": "slow", "router_branch_safe": True, "capabilities": {},
                                      "payload": {"fields": {"value": "int"}}})
    elif op == "build": dirs[r["partition"]] = r["config"]["dir"]
    elif op == "write_batch":
        marks = os.path.join(dirs[r["partition"]], "marks")
        with open(marks, "a") as f: f.write("began\n")
        time.sleep(0.2)
        with open(marks, "a") as f: f.write("ended\n")
    elif op == "read_back": resp["items"] = []
    print(json.dumps(resp), flush=True)
    if op == "shutdown": break
)";

WireOptions slow_sink() {
  WireOptions o;
  o.command = {SINKKIT_PYTHON, "-c", kSlowSink};
  o.call_timeout = std::chrono::seconds(20);
  o.fork_server = false;
  return o;
}

TEST_F(WireSinkTest, TheCrashRulesKillLandsIntoTheWrite) {
  WireSink sut(slow_sink());
  auto request = workload(1, 3);
  const auto crash = sut.run_and_kill(nlohmann::json{{"dir", target_.dir.string()}}, request, KillPoint{1, 0.5});
  ASSERT_TRUE(crash);
  EXPECT_TRUE(crash->killed) << crash->note;
  EXPECT_NE(crash->note.find("0.50 of a write's time into it"), std::string::npos) << crash->note;
  std::ifstream in(target_.dir / "marks");
  const std::string marks((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(marks, "began\nended\nbegan\n") << "killed midway through the second write";
}

// A sink started through a wrapper (a shell that does not exec it) is the
// wrapper's child: the crash rule's kill takes it too, midway through its
// write, and it never ends that write after the "crash".
TEST_F(WireSinkTest, TheCrashRulesKillTakesTheSinkStartedByAWrapper) {
  auto o = slow_sink();
  o.command = {"/bin/sh", "-c", R"("$0" -c "$1"; exit 0)", SINKKIT_PYTHON, kSlowSink};
  WireSink sut(o);
  const auto crash = sut.run_and_kill(nlohmann::json{{"dir", target_.dir.string()}}, workload(1, 3), KillPoint{1, 0.5});
  ASSERT_TRUE(crash);
  EXPECT_TRUE(crash->killed) << crash->note;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a survivor would end its write by now
  std::ifstream in(target_.dir / "marks");
  const std::string marks((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(marks, "began\nended\nbegan\n") << "the wrapped sink went on with its write after the kill";
}

// At 0 the kill comes before the process has the write: it never sees the
// request, or it could race the signal into its next write (a power cut
// then found the state after that write begun, not the acknowledged one's).
// What was sent is logged by a `tee` in front of the sink that the kill
// does not reach (orphaned by its subshell, it is no descendant of the
// sink, which the shell execs and reads through a FIFO; its stdin given
// explicitly, as a background job's is /dev/null), so the log shows
// whether the fatal request was sent at all, whatever the race.
TEST_F(WireSinkTest, TheCrashRulesKillAtZeroComesBeforeTheSinkHasTheWrite) {
  auto o = slow_sink();
  const auto sent_log = target_.dir / "sent";
  o.command = {"/bin/sh", "-c", R"(f="$0.$$.fifo" && mkfifo "$f" && (tee -a "$0" <&3 >"$f" &) 3<&0 && exec "$1" -c "$2" <"$f")",
               sent_log.string(), SINKKIT_PYTHON, kSlowSink};
  WireSink sut(o);
  const auto crash = sut.run_and_kill(nlohmann::json{{"dir", target_.dir.string()}}, workload(1, 3), KillPoint{1});
  ASSERT_TRUE(crash);
  EXPECT_TRUE(crash->killed) << crash->note;
  EXPECT_NE(crash->note.find("before the sink had it"), std::string::npos) << crash->note;
  std::ifstream marks_in(target_.dir / "marks");
  const std::string marks((std::istreambuf_iterator<char>(marks_in)), {});
  EXPECT_EQ(marks, "began\nended\n") << "the second write never began";
  // The first write was sent (and acknowledged), the second never.
  std::ifstream sent_in(sent_log);
  int writes = 0;
  for (std::string line; std::getline(sent_in, line);) writes += line.find("\"write_batch\"") != std::string::npos;
  EXPECT_EQ(writes, 1) << "the fatal write's request was sent";
}

}  // namespace
