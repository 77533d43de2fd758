// SinkProcess against misbehaving children: every failure is a WireError that
// names it, the runner never hangs, memory stays bounded, nothing is left
// running. The children are small Python programs.

#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <sinkkit/runners/sink_process.hpp>
#include <sys/wait.h>

namespace {

using namespace sinkkit;
using namespace std::chrono_literals;

// A sink process running `program` (Python source).
ProcessOptions python(const std::string& program, std::chrono::milliseconds timeout = 5s) {
  ProcessOptions o;
  o.argv = {SINKKIT_PYTHON, "-c", program};
  o.call_timeout = timeout;
  return o;
}

const std::string kEcho = R"(
import sys, json
for line in sys.stdin:
    req = json.loads(line)
    print(json.dumps({"ok": True, "op": req.get("op")}), flush=True)
    if req.get("op") == "shutdown":
        break
)";

WireError::Kind expect_wire_error(SinkProcess& p, WireError::Kind kind, const std::string& words) {
  try {
    (void)p.call({{"op", "write_batch"}});
    ADD_FAILURE() << "the call should have failed";
  } catch (const WireError& e) {
    EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(kind)) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_FALSE(p.running()) << "a broken process is killed and reaped";
    return e.kind();
  }
  return WireError::Kind::protocol;
}

TEST(SinkProcess, CallsAndShutsDownCleanly) {
  SinkProcess p(python(kEcho));
  auto r = p.call({{"op", "hello"}, {"protocol", 1}});
  EXPECT_EQ(r["op"], "hello");
  EXPECT_TRUE(p.shutdown());
  EXPECT_EQ(p.status_text(), "exited with 0");
}

TEST(SinkProcess, AnAnswerThatIsNotJsonIsMalformed) {
  SinkProcess p(python("import sys\nfor l in sys.stdin: print('hello there', flush=True)"));
  expect_wire_error(p, WireError::Kind::malformed, "not JSON: 'hello there'");
}

TEST(SinkProcess, AnAnswerWithoutOkIsMalformed) {
  SinkProcess p(python("import sys\nfor l in sys.stdin: print('[1, 2]', flush=True)"));
  expect_wire_error(p, WireError::Kind::malformed, "without a boolean \"ok\"");
}

TEST(SinkProcess, AChildThatExitsMidCallIsNamedWithItsExitCode) {
  SinkProcess p(python("import sys\nsys.stdin.readline()\nsys.exit(7)"));
  expect_wire_error(p, WireError::Kind::exited, "exited with 7");
}

TEST(SinkProcess, AHungChildTimesOutAndIsKilled) {
  SinkProcess p(python("import sys, time\nsys.stdin.readline()\ntime.sleep(3600)", 300ms));
  const auto start = std::chrono::steady_clock::now();
  expect_wire_error(p, WireError::Kind::timeout, "did not answer within 300 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(SinkProcess, A100MiBLineIsRefusedAtTheLimitWithoutReadingItAll) {
  auto o = python("import sys\nsys.stdin.readline()\nsys.stdout.write('x' * (100 << 20) + '\\n')\nsys.stdout.flush()");
  o.max_line_bytes = 1 << 20;
  SinkProcess p(o);
  expect_wire_error(p, WireError::Kind::too_long, "longer than 1048576 bytes");
}

TEST(SinkProcess, AStderrFloodIsBoundedAndDoesNotBlockTheCall) {
  auto o = python(R"(
import sys, json
for line in sys.stdin:
    sys.stderr.write('e' * (50 << 20))
    sys.stderr.flush()
    print(json.dumps({"ok": True}), flush=True)
)",
                  30s);
  o.max_stderr_bytes = 4096;
  SinkProcess p(o);
  EXPECT_TRUE(p.call({{"op", "close"}})["ok"]);
  const auto err = p.stderr_text();
  EXPECT_LT(err.size(), 4096U + 200U);
  EXPECT_NE(err.find("dropped by sinkkit"), std::string::npos);
}

TEST(SinkProcess, AKilledChildIsReportedAndCallsAfterwardFail) {
  SinkProcess p(python(kEcho));
  EXPECT_TRUE(p.call({{"op", "hello"}})["ok"]);
  p.kill();
  EXPECT_FALSE(p.running());
  EXPECT_EQ(p.status_text(), "killed by signal 9 (SIGKILL)");
  EXPECT_THROW((void)p.call({{"op", "close"}}), WireError);
}

TEST(SinkProcess, AMissingProgramIsASpawnError) {
  try {
    SinkProcess p({.argv = {"/nonexistent/sink"}});
    FAIL();
  } catch (const WireError& e) {
    EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(WireError::Kind::spawn));
    EXPECT_NE(std::string(e.what()).find("/nonexistent/sink"), std::string::npos);
  }
}

TEST(SinkProcess, NoChildIsLeftBehind) {
  {
    SinkProcess p(python("import time\ntime.sleep(3600)"));
  }  // destroyed while running
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

}  // namespace
