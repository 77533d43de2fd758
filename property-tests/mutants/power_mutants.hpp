#pragma once
// Mutants that keep what a killed process wrote but not what a power cut
// leaves (rule SK-4.6): JSON Lines files written with POSIX calls, each
// with one of the durability bugs ALICE and CrashMonkey found in real
// applications. All declare survives_power_loss; all pass SK-4.3 (the page
// cache keeps every byte they wrote).

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mutant_support.hpp"

namespace zoo {

enum class PowerBug {
  // A file per partition, each batch written and fdatasynced, the directory
  // never fsynced: the file's name is not durable.
  no_directory_fsync_after_create,
  // A file per batch, written to a temporary name and renamed into place,
  // the directory fsynced, the data never: the name survives, empty.
  renames_unsynced_file,
  // A batch's lines but the last written, fdatasynced, then the last one.
  fsyncs_before_the_last_write,
  // fdatasync on the directory's descriptor instead of the file's.
  fsyncs_the_wrong_descriptor,
};

template <PowerBug bug>
struct LosesOnPowerCut {
  using payload_type = Event;
  std::string name = "loses-on-power-cut";
  static constexpr bool router_branch_safe = false;
  // survives_power_loss alone: it implies survives_crash, so SK-4.3 checks
  // these mutants too (and they pass it).
  static Capabilities capabilities() { return {.survives_power_loss = true}; }

  static void check(bool ok, const std::string& what) {
    if (!ok) throw sinkkit::SinkError(what + " failed: " + std::strerror(errno));
  }
  // All of `data` at the end of `fd` (`size` bytes long); on failure the file
  // is cut back to `size` (no torn line) and SinkError thrown.
  static void append(int fd, std::uint64_t& size, std::string_view data) {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        if (::ftruncate(fd, static_cast<off_t>(size)) != 0) throw sinkkit::SinkError("cutting a torn batch failed");
        errno = err;
        check(false, "write");
      }
      done += static_cast<std::size_t>(n);
    }
    size += data.size();
  }

  struct Partition {
    std::filesystem::path dir;
    std::string stem;
    int dir_fd = -1;
    int fd = -1;  // the partition's file (not renames_unsynced_file)
    std::uint64_t size = 0;
    int batches = 0;
    void write_batch(Batch<Event> batch) {
      if (dir_fd < 0) throw sinkkit::ClosedError("write_batch");
      std::vector<std::string> lines;
      for (const auto& e : batch) lines.push_back(nlohmann::json(e).dump() + '\n');
      if (lines.empty()) return;
      if constexpr (bug == PowerBug::renames_unsynced_file) {
        char number[16];
        std::snprintf(number, sizeof number, "-%06d", batches++);  // name order is batch order
        const auto tmp = dir / (stem + number + ".tmp");
        const auto done = dir / (stem + number + ".jsonl");
        const int f = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        check(f >= 0, "create " + tmp.string());
        std::uint64_t tmp_size = 0;
        try {
          for (const auto& l : lines) append(f, tmp_size, l);
        } catch (...) {
          ::close(f);
          ::unlink(tmp.c_str());
          throw;
        }
        ::close(f);  // the bug: no fdatasync before the rename
        check(::rename(tmp.c_str(), done.c_str()) == 0, "rename");
        check(::fsync(dir_fd) == 0, "fsync of the directory");
        return;
      }
      std::string all;
      for (std::size_t i = 0; i + 1 < lines.size(); ++i) all += lines[i];
      if constexpr (bug == PowerBug::fsyncs_before_the_last_write) {
        const auto before = size;
        append(fd, size, all);
        check(::fdatasync(fd) == 0, "fdatasync");
        try {
          append(fd, size, lines.back());  // the bug: after the sync
        } catch (...) {
          size = before;  // the whole batch goes: it raised
          if (::ftruncate(fd, static_cast<off_t>(size)) != 0) throw sinkkit::SinkError("cutting a torn batch failed");
          throw;
        }
        return;
      }
      append(fd, size, all + lines.back());
      if constexpr (bug == PowerBug::fsyncs_the_wrong_descriptor) {
        check(::fdatasync(dir_fd) == 0, "fdatasync");  // the bug: the directory's, not the file's
      } else {
        check(::fdatasync(fd) == 0, "fdatasync");
      }
    }
    void close() {
      if (dir_fd < 0) return;
      if (fd >= 0) ::close(fd);
      ::close(dir_fd);
      fd = dir_fd = -1;
    }
  };

  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    static std::atomic<int> counter{0};
    Partition p;
    p.dir = config.at("dir").get<std::string>();
    p.stem = "part-w" + std::to_string(worker_index) + "-x" + std::to_string(::getpid()) + "-" +
             std::to_string(counter++);
    p.dir_fd = ::open(p.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    check(p.dir_fd >= 0, "open " + p.dir.string());
    if (bug == PowerBug::renames_unsynced_file) return p;
    const auto file = p.dir / (p.stem + ".jsonl");
    p.fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    check(p.fd >= 0, "create " + file.string());
    // The bug of no_directory_fsync_after_create: this is missing.
    if (bug != PowerBug::no_directory_fsync_after_create) check(::fsync(p.dir_fd) == 0, "fsync of the directory");
    return p;
  }
};

// Reads every line that parses of every .jsonl file, in name order (not the
// temporary files renamed into place).
template <class Node>
struct PowerCutHarness : sinkkit_harnesses::EventItems {
  using node_type = Node;
  node_type make_node() { return {}; }
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"dir", t.dir.string()}}; }
  std::vector<Event> read_back(const nlohmann::json& config) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(config.at("dir").get<std::string>())) {
      if (entry.path().extension() == ".jsonl") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<Event> out;
    for (const auto& file : files) {
      std::ifstream in(file);
      for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!j.is_discarded()) out.push_back(j.get<Event>());
      }
    }
    return out;
  }
  Capabilities capabilities() { return node_type::capabilities(); }
};

}  // namespace zoo
