#pragma once
// acme::LineSink: writes each partition's readings as tab-separated lines to
// its own file, one write(2) per batch. Config: {"dir": PATH}.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/all.hpp>

namespace acme {

struct Reading {
  std::string sensor;
  double value = 0;
  friend bool operator==(const Reading&, const Reading&) = default;
};

class LineSink {
 public:
  using payload_type = Reading;
  std::string name = "acme-lines";
  static constexpr bool router_branch_safe = true;

  class Partition {
   public:
    explicit Partition(int fd) : fd_(fd) {}
    Partition(Partition&& o) noexcept
        : fd_(std::exchange(o.fd_, -1)), size_(o.size_), torn_(o.torn_) {}
    Partition(const Partition&) = delete;
    Partition& operator=(const Partition&) = delete;
    Partition& operator=(Partition&&) = delete;
    ~Partition() { close(); }

    void write_batch(sinkkit::Batch<Reading> batch) {
      if (fd_ < 0) throw sinkkit::ClosedError("write_batch");
      if (torn_) throw sinkkit::SinkError("a failed write left part of a line that could not be cut off");
      std::string out;
      for (const Reading& r : batch) {
        if (r.sensor.find_first_of("\t\n") != std::string::npos) {
          throw sinkkit::SinkError("sensor name with a tab or newline: " + r.sensor);
        }
        out += r.sensor + '\t' + std::to_string(r.value) + '\n';
      }
      for (std::size_t off = 0; off < out.size();) {
        const auto n = ::write(fd_, out.data() + off, out.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          const std::string why = std::strerror(errno);
          // What the failed write stored of its lines is cut off, or the next
          // batch's first line would be glued to it; if even that fails, the
          // partition takes no more writes.
          if (off > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) torn_ = true;
          throw sinkkit::SinkError("write failed: " + why);
        }
        off += static_cast<std::size_t>(n);
      }
      size_ += out.size();
    }

    void close() noexcept {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
    }

   private:
    int fd_;
    std::uint64_t size_ = 0;  // bytes of whole batches in the file
    bool torn_ = false;
  };

  Partition build_partition(const nlohmann::json& config, int worker_index, int worker_count, sinkkit::AsyncBridge*,
                            void*) {
    sinkkit::check_worker_args(worker_index, worker_count);
    const auto dir = dir_of(config);
    static std::atomic<int> counter{0};
    // A name no other partition, run or restart uses: append, never truncate.
    const auto file = dir / ("w" + std::to_string(worker_index) + "-" + std::to_string(::getpid()) + "-" +
                             std::to_string(counter++) + ".tsv");
    const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw sinkkit::ConfigError("dir", "cannot create " + file.string() + ": " + std::strerror(errno));
    return Partition(fd);
  }

  // Every complete line of every file (a line cut by a crash is not data).
  static std::vector<Reading> read_back(const nlohmann::json& config) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir_of(config)))
      if (e.path().extension() == ".tsv") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<Reading> out;
    for (const auto& f : files) {
      std::ifstream in(f);
      std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::istringstream lines(content.substr(0, content.rfind('\n') + 1));
      for (std::string line; std::getline(lines, line);) {
        const auto tab = line.find('\t');
        if (tab == std::string::npos) throw sinkkit::SinkError(f.string() + ": malformed line: " + line);
        out.push_back({line.substr(0, tab), std::stod(line.substr(tab + 1))});
      }
    }
    return out;
  }

  static sinkkit::Capabilities capabilities() { return {.survives_crash = true}; }

 private:
  static std::filesystem::path dir_of(const nlohmann::json& config) {
    sinkkit::ConfigReader reader(config);
    std::filesystem::path dir = reader.required_string("dir");
    reader.reject_unknown_keys();
    if (!std::filesystem::is_directory(dir)) throw sinkkit::ConfigError("dir", "'" + dir.string() + "' is not a directory");
    return dir;
  }
};

}  // namespace acme
