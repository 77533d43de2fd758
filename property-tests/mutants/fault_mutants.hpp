#pragma once
// Mutants that lose data around faults, crashes, restarts and router
// branches (rules SK-4.x and SK-5.1).

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <sinkkit/sinks/jsonl_file_sink.hpp>
#include <fcntl.h>
#include <unistd.h>

#include "moves_aside_mutant.hpp"
#include "mutant_support.hpp"

namespace zoo {

// When a buffered sink whose flush failed gives up the failed rows (the
// rows stay in its buffer until then, ready to be flushed again).
enum class GivesUpFailedRows {
  at_close,          // SK-4.1: a run that stops after the failure loses them
  on_the_next_write, // SK-4.2: a run that writes on loses them
};

// SK-4.1 / SK-4.2: a buffered table sink that, after a failed insert, drops
// the rows it could not store (acknowledged ones among them) at the moment
// `kGivesUp` says, instead of inserting them again.
template <GivesUpFailedRows kGivesUp>
struct DropsFailedFlush : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "drops-failed-flush";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {.durability = sinkkit::Durability::on_close}; }
  struct Partition {
    std::shared_ptr<Store> store;
    std::string target;
    std::size_t log;
    std::vector<Event> buffer;
    bool closed = false;
    bool failed = false;  // the last flush failed: the buffer holds its rows
    void flush() {
      if (buffer.empty()) return;
      try {
        store->append(target, log, Batch<Event>(buffer));
      } catch (...) {
        failed = true;
        throw;
      }
      buffer.clear();
      failed = false;
    }
    void write_batch(Batch<Event> batch) {
      if (closed) throw sinkkit::ClosedError("write_batch");
      if (failed && kGivesUp == GivesUpFailedRows::on_the_next_write) buffer.clear();  // the bug
      failed = false;
      buffer.insert(buffer.end(), batch.begin(), batch.end());
      if (buffer.size() >= 30) flush();
    }
    void close() {
      if (closed) return;
      closed = true;
      if (failed && kGivesUp == GivesUpFailedRows::at_close) return;  // the bug
      flush();
    }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    auto target = target_of(config);
    return Partition{store, target, store->open_log(target, worker_index), {}, false, false};
  }
};

// SK-2.1: declares durability on_return (and survives_crash), but writes
// through a user-space stream buffer that only close flushes. A crash loses
// what the buffer held, but the bug is not the crash's: a read-back right
// after write_batch returns misses it already.
struct LosesUnflushedOnCrash {
  using payload_type = Event;
  std::string name = "loses-unflushed-on-crash";
  static constexpr bool router_branch_safe = false;
  static Capabilities capabilities() { return {.survives_crash = true}; }
  struct Partition {
    std::unique_ptr<std::ofstream> out;
    bool closed = false;
    void write_batch(Batch<Event> batch) {
      if (closed) throw sinkkit::ClosedError("write_batch");
      for (const auto& e : batch) *out << nlohmann::json(e).dump() << '\n';  // the bug: no flush
      if (!*out) throw sinkkit::SinkError("write failed");  // what the stream's buffer did flush failed
    }
    void close() {
      if (closed) return;
      closed = true;
      out->clear();  // a failed write was reported by its write_batch
      out->close();
      if (out->fail()) throw sinkkit::SinkError("close: the last write failed");
    }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    static std::atomic<int> counter{0};
    const auto dir = std::filesystem::path(config.at("dir").get<std::string>());
    const auto file = dir / ("part-w" + std::to_string(worker_index) + "-x" + std::to_string(::getpid()) + "-" +
                             std::to_string(counter++) + ".jsonl");
    return Partition{std::make_unique<std::ofstream>(file, std::ios::app)};
  }
};

// SK-4.2, SK-4.3, SK-4.5: JSON Lines files written with POSIX calls, as a
// sink author writes them, with one bug each. No fault hook: the kit's
// file-system interposer makes their storage fail.
enum class FileBug {
  ignores_failed_fsync,  // SK-4.5: fdatasync fails, write_batch returns normally
  keeps_torn_line,       // SK-4.2: a failed append leaves its partial line; the next one is glued to it
  swallows_write_error,  // SK-4.5: write fails, write_batch returns normally
  // SK-4.3: a partition appends to a ".pending" file that close renames to
  // ".jsonl", and its reader reads both (its writes are durable and visible
  // on return), but a build "recovers" by deleting the pending files of
  // processes other than its own as aborted work: after a crash, the restart
  // deletes what the killed process had acknowledged.
  discards_pending_at_restart,
};

template <FileBug bug>
struct PosixJsonlSink {
  using payload_type = Event;
  std::string name = "posix-jsonl";
  static constexpr bool router_branch_safe = false;
  static Capabilities capabilities() { return {.survives_crash = true}; }
  struct Partition {
    int fd = -1;
    std::uint64_t size = 0;
    std::filesystem::path pending;  // discards_pending_at_restart: renamed to .jsonl by close
    void write_batch(Batch<Event> batch) {
      if (fd < 0) throw sinkkit::ClosedError("write_batch");
      std::string data;
      for (const auto& e : batch) data += nlohmann::json(e).dump() + '\n';
      std::size_t done = 0;
      while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
          if (errno == EINTR) continue;
          if constexpr (bug == FileBug::swallows_write_error) return;  // the bug
          const int err = errno;
          if constexpr (bug != FileBug::keeps_torn_line) {
            if (::ftruncate(fd, static_cast<off_t>(size)) != 0) throw sinkkit::SinkError("truncate failed");
          }
          throw sinkkit::SinkError(std::string("append failed: ") + std::strerror(err));
        }
        done += static_cast<std::size_t>(n);
      }
      size += data.size();
      if (::fdatasync(fd) != 0 && bug != FileBug::ignores_failed_fsync) {
        throw sinkkit::SinkError(std::string("fdatasync failed: ") + std::strerror(errno));
      }
    }
    void close() {
      if (fd < 0) return;
      ::close(fd);
      fd = -1;
      if (!pending.empty()) {
        auto done = pending;
        if (::rename(pending.c_str(), done.replace_extension(".jsonl").c_str()) != 0) {
          throw sinkkit::SinkError(std::string("rename failed: ") + std::strerror(errno));
        }
      }
    }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    static std::atomic<int> counter{0};
    const std::filesystem::path dir = config.at("dir").get<std::string>();
    const auto stem = "part-w" + std::to_string(worker_index) + "-x" + std::to_string(::getpid()) + "-" +
                      std::to_string(counter++);
    const bool pends = bug == FileBug::discards_pending_at_restart;
    if (pends) {
      const auto mine = "-x" + std::to_string(::getpid()) + "-";
      for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const auto file_name = entry.path().filename().string();
        if (entry.path().extension() == ".pending" && file_name.find(mine) == std::string::npos) {
          std::filesystem::remove(entry.path());  // the bug: acknowledged items, "aborted"
        }
      }
    }
    const auto file = dir / (stem + (pends ? ".pending" : ".jsonl"));
    const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw sinkkit::SinkError("cannot create " + file.string());
    return Partition{fd, 0, pends ? file : std::filesystem::path()};
  }
};

// SK-2.5, through the file system alone (no hook): declares exactly_once and
// writes each batch a record per write(2), then fdatasyncs it. When a storage
// call fails, it cuts the file back to its last whole record (no torn line)
// and writes the batch again from its first item: the records of the batch
// it had stored before the error (all of them, when the fsync failed) are
// stored twice. Nothing is lost, and the failed write is made good.
struct RetriesBatchFromItsStart {
  using payload_type = Event;
  std::string name = "retries-batch-from-its-start";
  static constexpr bool router_branch_safe = false;
  static Capabilities capabilities() {
    return {.delivery = sinkkit::Delivery::exactly_once, .durability = sinkkit::Durability::on_close};
  }
  struct Partition {
    int fd = -1;
    off_t size = 0;  // bytes of whole records
    // The whole line, or false with the file cut back to its last whole record.
    bool append(const std::string& line) {
      std::size_t done = 0;
      while (done < line.size()) {
        const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          if (::ftruncate(fd, size) != 0) throw sinkkit::SinkError("cannot cut the torn record off");
          return false;
        }
        done += static_cast<std::size_t>(n);
      }
      size += static_cast<off_t>(line.size());
      return true;
    }
    void write_batch(Batch<Event> batch) {
      if (fd < 0) throw sinkkit::ClosedError("write_batch");
      for (int attempt = 1;; ++attempt) {
        bool stored = true;
        for (const auto& e : batch) {
          if (!(stored = append(nlohmann::json(e).dump() + '\n'))) break;
        }
        if (stored && ::fdatasync(fd) == 0) return;
        if (attempt == 3) throw sinkkit::SinkError(std::string("the batch failed 3 times: ") + std::strerror(errno));
        // the bug: again from the batch's first item, over what is stored of it
      }
    }
    void close() {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    static std::atomic<int> counter{0};
    const auto file = std::filesystem::path(config.at("dir").get<std::string>()) /
                      ("part-w" + std::to_string(worker_index) + "-x" + std::to_string(::getpid()) + "-" +
                       std::to_string(counter++) + ".jsonl");
    const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw sinkkit::SinkError("cannot create " + file.string());
    return Partition{fd, 0};
  }
};

// Reads every line that parses: a line glued to a torn one is lost, as a
// reader of such a file would lose it.
template <class Node>
struct PosixJsonlHarness : sinkkit_harnesses::EventItems {
  using node_type = Node;
  node_type make_node() { return {}; }
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"dir", t.dir.string()}}; }
  std::vector<Event> read_back(const nlohmann::json& config) {
    std::vector<Event> out;
    for (const auto& entry : std::filesystem::directory_iterator(config.at("dir").get<std::string>())) {
      std::ifstream in(entry.path());
      for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!j.is_discarded()) out.push_back(j.get<Event>());
      }
    }
    return out;
  }
  Capabilities capabilities() { return node_type::capabilities(); }
};

// Reads the parts only, as the mutant's own restart does.
struct PartsOnlyHarness : sinkkit_harnesses::EventItems {
  using node_type = MovesItsFileAsideToRewrite;
  node_type make_node() { return {}; }
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"dir", t.dir.string()}}; }
  std::vector<Event> read_back(const nlohmann::json& config) { return node_type::read_back(config); }
  Capabilities capabilities() { return node_type::capabilities(); }
};

struct JsonlDirHarness : sinkkit_harnesses::EventItems {
  using node_type = LosesUnflushedOnCrash;
  node_type make_node() { return {}; }
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"dir", t.dir.string()}}; }
  std::vector<Event> read_back(const nlohmann::json& config) {
    return sinkkit::sinks::JsonlFileSink<Event>::read_back({{"dir", config.at("dir")}});
  }
  Capabilities capabilities() { return node_type::capabilities(); }
};

// SK-4.4: names its part files by worker_index and opens them truncated at
// build: a restart (or a rescaled run) wipes the previous run's output.
struct TruncatesOnRestart : FilesNode {
  using FilesNode::FilesNode;
  std::string name = "truncates-on-restart";
  static constexpr bool router_branch_safe = false;
  static Capabilities capabilities() { return {.survives_crash = true}; }
  struct Partition {
    std::shared_ptr<NamedFiles> files;
    std::string target, file;
    bool closed = false;
    void write_batch(Batch<Event> batch) {
      if (closed) throw sinkkit::ClosedError("write_batch");
      files->append(target, file, batch);
    }
    void close() { closed = true; }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    const auto target = config.at("target").get<std::string>();
    const auto file = "part-" + std::to_string(worker_index);
    files->truncate(target, file);  // the bug: mode "w"
    return Partition{files, target, file, false};
  }
};

// SK-5.1: declares router_branch_safe, but names its file by worker only and
// opens it for writing at the first write: the second branch of a worker
// truncates what the first wrote.
struct BranchesShareFile : FilesNode {
  using FilesNode::FilesNode;
  std::string name = "branches-share-file";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    std::shared_ptr<NamedFiles> files;
    std::string target, file;
    bool opened = false;
    bool closed = false;
    void write_batch(Batch<Event> batch) {
      if (closed) throw sinkkit::ClosedError("write_batch");
      if (!opened) files->truncate(target, file);
      opened = true;
      files->append(target, file, batch);
    }
    void close() { closed = true; }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{files, config.at("target").get<std::string>(), "part-" + std::to_string(worker_index)};
  }
};

}  // namespace zoo
