// The power-loss model (kit/src/faults/power_loss.hpp): real file calls under
// a root, journalled by the interposer linked into this program, and the
// tree rewritten to a crash state. The strict state keeps only what was
// synced (data by fsync/fdatasync/O_DSYNC/msync/sync, names by their
// directory's fsync); a seeded state keeps, per file, a prefix of its
// unsynced writes, and each unsynced name change or not.

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "faults/fault_control.hpp"
#include "faults/power_loss.hpp"

namespace {

namespace fs = std::filesystem;
using namespace sinkkit::detail::faults;

class PowerLoss : public ::testing::Test {
 protected:
  void SetUp() override {
    block_ = in_process_block();
    ASSERT_NE(block_, nullptr) << "libsinkkit_faults is not loaded into this program";
    base_ = fs::temp_directory_path() / ("sinkkit-power-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(root());
  }
  void TearDown() override {
    stop_tracking(*block_);
    fs::remove_all(base_);
  }
  fs::path root() const { return base_ / "target"; }
  fs::path journal() const { return base_ / "journal"; }

  // Tracking on from here: what the tree holds now is durable.
  void start() {
    before_ = snapshot_tree(root());
    std::error_code ec;
    fs::remove(journal(), ec);
    start_tracking(*block_, root(), journal());
  }
  PowerCutReport cut(CrashStateChoice choice = {}) {
    stop_tracking(*block_);
    return cut_power(root(), before_, {journal()}, choice);
  }
  // The journal kept, for a second cut from the same run.
  PowerCutReport cut_again(CrashStateChoice choice) { return cut_power(root(), before_, {journal()}, choice); }

  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static void write_file(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
  static int create(const fs::path& p) { return ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644); }
  static void put(int fd, const std::string& s) { ASSERT_EQ(::write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size())); }
  void sync_dir(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::fsync(fd), 0);
    ::close(fd);
  }

  ControlBlock* block_ = nullptr;
  fs::path base_;
  TreeSnapshot before_;
};

TEST_F(PowerLoss, AFileKeepsWhatItsLastFsyncCovered) {
  start();
  const int fd = create(root() / "a");
  sync_dir(root());
  put(fd, "one\n");
  ASSERT_EQ(::fdatasync(fd), 0);
  put(fd, "two\n");
  ::close(fd);
  const auto report = cut();
  EXPECT_EQ(read(root() / "a"), "one\n");
  EXPECT_EQ(report.writes_dropped, 1);
  EXPECT_EQ(report.description, "1 unsynced write of a dropped");
}

TEST_F(PowerLoss, ANewNameIsDurableOnlyOnceItsDirectoryIsSynced) {
  start();
  const int fd = create(root() / "kept");
  put(fd, "x\n");
  ASSERT_EQ(::fsync(fd), 0);  // the data, not the name
  ::close(fd);
  sync_dir(root());
  const int lost = create(root() / "lost");
  put(lost, "y\n");
  ASSERT_EQ(::fsync(lost), 0);
  ::close(lost);
  const auto report = cut();
  EXPECT_EQ(read(root() / "kept"), "x\n");
  EXPECT_FALSE(fs::exists(root() / "lost"));
  EXPECT_EQ(report.names_not_durable, 1);
  EXPECT_NE(report.description.find("the name lost not yet durable"), std::string::npos) << report.description;
}

TEST_F(PowerLoss, ANameInANewDirectoryNeedsTheParentSyncedToo) {
  start();
  ASSERT_EQ(::mkdir((root() / "d").c_str(), 0755), 0);
  const int fd = create(root() / "d" / "f");
  put(fd, "x\n");
  ASSERT_EQ(::fsync(fd), 0);
  ::close(fd);
  sync_dir(root() / "d");  // the file's name, but not the directory's own
  cut();
  EXPECT_FALSE(fs::exists(root() / "d"));
}

TEST_F(PowerLoss, AFileRenamedIntoPlaceBeforeItsDataWasSyncedIsEmpty) {
  start();
  const int fd = create(root() / "f.tmp");
  put(fd, "data\n");
  ::close(fd);
  ASSERT_EQ(::rename((root() / "f.tmp").c_str(), (root() / "f").c_str()), 0);
  sync_dir(root());
  const auto report = cut();
  ASSERT_TRUE(fs::exists(root() / "f"));
  EXPECT_FALSE(fs::exists(root() / "f.tmp"));
  EXPECT_EQ(read(root() / "f"), "");
  EXPECT_NE(report.description.find("1 unsynced write of f dropped"), std::string::npos) << report.description;
}

TEST_F(PowerLoss, ARemovalNotYetDurableBringsTheFileBack) {
  write_file(root() / "old", "kept\n");
  start();
  ASSERT_EQ(::unlink((root() / "old").c_str()), 0);
  const auto report = cut();
  EXPECT_EQ(read(root() / "old"), "kept\n");
  EXPECT_NE(report.description.find("old still there"), std::string::npos) << report.description;
}

TEST_F(PowerLoss, AReplacementNotYetDurableLeavesTheOldFile) {
  write_file(root() / "manifest", "v1\n");
  start();
  const int fd = create(root() / "manifest.new");
  put(fd, "v2\n");
  ASSERT_EQ(::fsync(fd), 0);
  ::close(fd);
  ASSERT_EQ(::rename((root() / "manifest.new").c_str(), (root() / "manifest").c_str()), 0);
  const auto report = cut();  // no directory fsync after the rename
  EXPECT_EQ(read(root() / "manifest"), "v1\n");
  EXPECT_NE(report.description.find("manifest still the file it named before"), std::string::npos)
      << report.description;
}

TEST_F(PowerLoss, ATruncationIsAChangeLikeAWrite) {
  write_file(root() / "f", "0123456789");
  start();
  const int fd = ::open((root() / "f").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_EQ(::ftruncate(fd, 4), 0);
  ::close(fd);
  cut();
  EXPECT_EQ(read(root() / "f"), "0123456789");
}

TEST_F(PowerLoss, SynchronousWritesMappedSyncsAndSyncfsAreDurable) {
  start();
  const int dsync = ::open((root() / "dsync").c_str(), O_WRONLY | O_CREAT | O_DSYNC | O_CLOEXEC, 0644);
  put(dsync, "at once\n");
  ::close(dsync);
  const int mapped = ::open((root() / "mapped").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_EQ(::ftruncate(mapped, 4096), 0);
  auto* page = static_cast<char*>(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mapped, 0));
  ASSERT_NE(page, MAP_FAILED);
  std::memcpy(page, "synced", 6);
  ASSERT_EQ(::msync(page, 4096, MS_SYNC), 0);
  const int later = create(root() / "later");
  put(later, "everything\n");
  ASSERT_EQ(::syncfs(later), 0);  // every file and name of the file system
  ::close(later);
  std::memcpy(page, "SYNCED but never msynced", 24);  // a shared mapping's write nothing asked to keep
  ::munmap(page, 4096);
  ::close(mapped);
  const int after = create(root() / "after");
  put(after, "gone\n");
  ::close(after);
  cut();
  EXPECT_EQ(read(root() / "dsync"), "at once\n");
  EXPECT_EQ(read(root() / "mapped").substr(0, 7), std::string("synced\0", 7));
  EXPECT_EQ(read(root() / "later"), "everything\n");
  EXPECT_FALSE(fs::exists(root() / "after"));
}

TEST_F(PowerLoss, NothingOutsideTheRootIsTouched) {
  start();
  const int fd = create(base_ / "outside");
  put(fd, "x\n");
  ::close(fd);
  cut();
  EXPECT_EQ(read(base_ / "outside"), "x\n");
}

// Between the strict state and the page cache's: each file a prefix, in
// order, of its unsynced writes; the same seed, the same state.
TEST_F(PowerLoss, SeededStatesKeepAPrefixOfTheUnsyncedWritesAndRepeat) {
  start();
  const int fd = create(root() / "f");
  sync_dir(root());
  put(fd, "a");
  ASSERT_EQ(::fdatasync(fd), 0);
  for (const char* w : {"b", "c", "d", "e"}) put(fd, w);
  ::close(fd);
  stop_tracking(*block_);
  const std::set<std::string> prefixes = {"a", "ab", "abc", "abcd", "abcde"};
  std::set<std::string> seen;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const auto report = cut_again({.strict = false, .seed = seed});
    const auto content = read(root() / "f");
    EXPECT_TRUE(prefixes.contains(content)) << "seed " << seed << ": " << content;
    EXPECT_EQ(report.writes_dropped, static_cast<int>(5 - content.size()));
    seen.insert(content);
    cut_again({.strict = false, .seed = seed});
    EXPECT_EQ(read(root() / "f"), content) << "seed " << seed << " drew another state";
  }
  EXPECT_EQ(seen, prefixes) << "40 seeds drew every prefix";
  cut_again({.strict = true, .seed = 7});
  EXPECT_EQ(read(root() / "f"), "a");
}

}  // namespace
