// The storage-fault interposer (libsinkkit_faults), linked into this program
// as into a conformance program: what an armed fault fails (the first aimed
// call on a file under the root, once) and what it never touches (pipes,
// files outside the root, anything while disarmed); and, preloaded into a
// sink process, that faults armed on every call never break the wire.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sinkkit/runners/sink_process.hpp>

#include "faults/fault_control.hpp"

namespace {

using namespace sinkkit;
using sinkkit::detail::faults::ControlFile;
using sinkkit::detail::faults::FaultControl;
namespace fs = std::filesystem;

class Interposer : public ::testing::Test {
 protected:
  void SetUp() override {
    block_ = detail::faults::in_process_block();
    ASSERT_NE(block_, nullptr) << "libsinkkit_faults is not loaded into this program";
    base_ = fs::temp_directory_path() / ("sinkkit-interposer-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "target");
    fs::create_directories(base_ / "elsewhere");
  }
  void TearDown() override {
    if (block_ != nullptr) (void)FaultControl(block_).disarm();
    fs::remove_all(base_);
  }
  int open_file(const fs::path& p) { return ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644); }
  static StorageFault fault(StorageFaultKind kind, int error = EIO, int skip = 0) {
    StorageFault f;
    f.kind = kind;
    f.error = error;
    f.skip = skip;
    return f;
  }

  detail::faults::ControlBlock* block_ = nullptr;
  fs::path base_;
};

TEST_F(Interposer, NothingFailsWhileDisarmed) {
  const int fd = open_file(base_ / "target" / "f");
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::write(fd, "abc", 3), 3);
  EXPECT_EQ(::fdatasync(fd), 0);
  ::close(fd);
}

TEST_F(Interposer, AnArmedFaultFailsTheFirstCallUnderTheRootAndNothingElse) {
  const int inside = open_file(base_ / "target" / "f");
  const int outside = open_file(base_ / "elsewhere" / "f");
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  FaultControl control(block_);
  control.arm(fault(StorageFaultKind::any_call, ENOSPC), base_ / "target");
  EXPECT_EQ(::write(pipe_fds[1], "x", 1), 1) << "a pipe is never aimed at";
  EXPECT_EQ(::write(outside, "x", 1), 1) << "nor a file outside the root";
  EXPECT_EQ(::fdatasync(outside), 0);
  errno = 0;
  EXPECT_EQ(::write(inside, "abc", 3), -1);
  EXPECT_EQ(errno, ENOSPC);
  EXPECT_EQ(::write(inside, "abc", 3), 3) << "a fault fires once";
  const auto fired = control.disarm();
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->call, "write");
  EXPECT_EQ(fired->path, "f");
  EXPECT_EQ(fired->error, ENOSPC);
  EXPECT_TRUE(fired->retried) << "the second write on the same file went through";
  EXPECT_FALSE(control.disarm().has_value()) << "disarmed, nothing more to report";
  EXPECT_EQ(fs::file_size(base_ / "target" / "f"), 3U) << "the failed write stored nothing";
  for (int fd : {inside, outside, pipe_fds[0], pipe_fds[1]}) ::close(fd);
}

TEST_F(Interposer, AShortWriteStoresHalfAndTheNextCallFails) {
  const int fd = open_file(base_ / "target" / "f");
  FaultControl control(block_);
  control.arm(fault(StorageFaultKind::short_write, ENOSPC), base_ / "target");
  EXPECT_EQ(::write(fd, "0123456789", 10), 5);
  errno = 0;
  EXPECT_EQ(::write(fd, "56789", 5), -1);
  EXPECT_EQ(errno, ENOSPC);
  const auto fired = control.disarm();
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->short_asked, 10U);
  EXPECT_EQ(fired->short_written, 5U);
  EXPECT_EQ(fired->error, ENOSPC);
  EXPECT_EQ(fs::file_size(base_ / "target" / "f"), 5U) << "the torn half is on disk";
  ::close(fd);
}

TEST_F(Interposer, AShortWriteAloneIsReportedWithNoError) {
  const int fd = open_file(base_ / "target" / "f");
  FaultControl control(block_);
  control.arm(fault(StorageFaultKind::short_write), base_ / "target");
  EXPECT_EQ(::write(fd, "0123", 4), 2);
  const auto fired = control.disarm();
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->error, 0);
  EXPECT_NE(fired->to_text().find("stored 2 of 4 bytes"), std::string::npos) << fired->to_text();
  ::close(fd);
}

TEST_F(Interposer, ASyncFaultIsASyncFaultEvenWhenRetried) {
  const int fd = open_file(base_ / "target" / "f");
  FaultControl control(block_);
  control.arm(fault(StorageFaultKind::sync_error), base_ / "target");
  EXPECT_EQ(::write(fd, "abc", 3), 3) << "a sync fault lets writes through";
  EXPECT_EQ(::fdatasync(fd), -1);
  EXPECT_EQ(::fsync(fd), 0);
  const auto fired = control.disarm();
  ASSERT_TRUE(fired.has_value());
  EXPECT_TRUE(fired->sync());
  EXPECT_EQ(fired->call, "fdatasync");
  EXPECT_TRUE(fired->retried) << "a sync after the failed one is a retry (which SK-4.5 never counts as making it good)";
  ::close(fd);
}

TEST_F(Interposer, OnlyTheSameBytesWrittenAgainAreARetry) {
  const int fd = open_file(base_ / "target" / "f");
  FaultControl control(block_);
  control.arm(fault(StorageFaultKind::write_error), base_ / "target");
  EXPECT_EQ(::write(fd, "abc\n", 4), -1);
  EXPECT_EQ(::write(fd, "def\n", 4), 4) << "the next record, not the failed one";
  auto fired = control.disarm();
  ASSERT_TRUE(fired.has_value());
  EXPECT_FALSE(fired->retried);
  control.arm(fault(StorageFaultKind::write_error), base_ / "target");
  EXPECT_EQ(::write(fd, "abc\n", 4), -1);
  EXPECT_EQ(::write(fd, "abc\n", 4), 4);
  fired = control.disarm();
  ASSERT_TRUE(fired.has_value());
  EXPECT_TRUE(fired->retried);
  ::close(fd);
}

TEST_F(Interposer, ARootNamedThroughASymlinkIsAimedAtByPathAndByDescriptor) {
  fs::create_directory_symlink(base_ / "target", base_ / "link");
  FaultControl control(block_);
  control.arm(fault(StorageFaultKind::any_call), base_ / "link");
  EXPECT_EQ(::open((base_ / "link" / "new").c_str(), O_WRONLY | O_CREAT, 0644), -1);
  ASSERT_TRUE(control.disarm().has_value());
  const int fd = open_file(base_ / "link" / "f");
  control.arm(fault(StorageFaultKind::any_call), base_ / "link");
  EXPECT_EQ(::write(fd, "x", 1), -1) << "the descriptor resolves to the target's real path";
  ASSERT_TRUE(control.disarm().has_value());
  ::close(fd);
}

TEST_F(Interposer, ADirectorysFsyncIsLeftAlone) {
  const int dir = ::open((base_ / "target").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  FaultControl control(block_);
  control.arm(fault(StorageFaultKind::sync_error), base_ / "target");
  EXPECT_EQ(::fsync(dir), 0) << "libraries ignore a directory fsync's error on purpose";
  EXPECT_FALSE(control.disarm().has_value());
  ::close(dir);
}

TEST_F(Interposer, SkippedCallsGoThroughFirst) {
  const int fd = open_file(base_ / "target" / "f");
  FaultControl control(block_);
  control.arm(fault(StorageFaultKind::write_error, EDQUOT, 2), base_ / "target");
  EXPECT_EQ(::write(fd, "a", 1), 1);
  EXPECT_EQ(::pwrite(fd, "b", 1, 0), 1);
  errno = 0;
  EXPECT_EQ(::write(fd, "c", 1), -1);
  EXPECT_EQ(errno, EDQUOT);
  ASSERT_TRUE(control.disarm().has_value());
  ::close(fd);
}

TEST_F(Interposer, CreatingAndRenamingUnderTheRootFail) {
  FaultControl control(block_);
  control.arm(fault(StorageFaultKind::any_call), base_ / "target");
  EXPECT_EQ(::open((base_ / "target" / "new").c_str(), O_WRONLY | O_CREAT, 0644), -1);
  EXPECT_FALSE(fs::exists(base_ / "target" / "new"));
  auto fired = control.disarm();
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->call, "open");

  std::ofstream(base_ / "elsewhere" / "tmp") << "x";
  control.arm(fault(StorageFaultKind::any_call), base_ / "target");
  EXPECT_EQ(std::rename((base_ / "elsewhere" / "tmp").c_str(), (base_ / "target" / "final").c_str()), -1);
  fired = control.disarm();
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->call, "rename");
  EXPECT_EQ(fired->path, "final");
}

// A sink process with the interposer preloaded and a fault armed on every
// call, aimed at every file ("/"): each request writes a file and answers;
// the sink's own files fail, its stdout (the wire) never does.
TEST_F(Interposer, FaultsArmedOnEveryCallNeverReachTheWire) {
  const auto library = detail::faults::interposer_library();
  ASSERT_TRUE(library.has_value()) << "libsinkkit_faults not found";
  ControlFile control_file(base_ / "control");
  const std::string sink = R"(
import json, os, sys
for line in sys.stdin:
    r = json.loads(line)
    if r["op"] == "shutdown":
        sys.stdout.write('{"ok": true}\n')
        break
    try:
        with open(os.path.join(sys.argv[1], "data"), "a") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        out = {"ok": True, "n": r["n"]}
    except OSError as e:
        out = {"ok": False, "error": {"kind": "write", "message": str(e)}, "n": r["n"]}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
)";
  SinkProcess p({.argv = {SINKKIT_PYTHON, "-c", sink, (base_ / "target").string()},
                 .environment = {"LD_PRELOAD=" + library->string(),
                                 std::string(detail::faults::kControlFileEnv) + "=" + control_file.path().string()}});
  FaultControl control(control_file.block());
  int failed = 0;
  for (int n = 0; n < 300; ++n) {
    control.arm(fault(n % 2 == 0 ? StorageFaultKind::any_call : StorageFaultKind::short_write), "/");
    nlohmann::json response;
    ASSERT_NO_THROW(response = p.call({{"op", "x"}, {"n", n}})) << "request " << n;
    EXPECT_EQ(response.at("n"), n);
    if (!response.at("ok").get<bool>()) ++failed;
    (void)control.disarm();
  }
  EXPECT_GT(failed, 100) << "the faults reached the sink's own file";
  EXPECT_TRUE(p.shutdown());
}

}  // namespace
