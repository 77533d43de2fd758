#pragma once
// A sink that breaks SK-4.3 only when a crash lands inside its write (the
// zoo's MovesItsFileAsideToRewrite, in process and served over the wire by
// sinkkit_serve_mutant).

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/all.hpp>
#include <sinkkit_test/events.hpp>

namespace zoo {

using sinkkit_test::Event;

// SK-4.3, only when a crash lands inside a write: each write_batch moves the
// part file aside (`.old`), writes the whole part (what it held and the
// batch) as a new file, and removes the old one; a storage error puts the
// old file back, so errors lose nothing. Killed between the move and the
// end, the part's acknowledged items sit in `.old`, which neither a restart
// nor the reader looks at. The rewrite takes 5 ms at least (a
// slow disk's), so a kill "into the write" lands in it. A kill that lands
// before the sink begins its write, the only kind the kit had, never
// found this.
struct MovesItsFileAsideToRewrite {
  using payload_type = Event;
  std::string name = "moves-its-file-aside-to-rewrite";
  static constexpr bool router_branch_safe = false;
  static sinkkit::Capabilities capabilities() { return {.survives_crash = true}; }
  struct Partition {
    std::filesystem::path file;
    std::string held;  // the part's records, as the file holds them
    bool open = true;
    void write_batch(sinkkit::Batch<Event> batch) {
      if (!open) throw sinkkit::ClosedError("write_batch");
      // Aside first, so that nearly all of the write is the window.
      const auto old = std::filesystem::path(file.string() + ".old");
      const bool had = !held.empty();
      if (had && ::rename(file.c_str(), old.c_str()) != 0) {
        throw sinkkit::SinkError(std::string("cannot move the part aside: ") + std::strerror(errno));
      }
      std::string data = held;
      for (const auto& e : batch) data += nlohmann::json(e).dump() + '\n';
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the rewrite's time
      const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      const bool written = fd >= 0 && ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
      const int err = errno;
      if (fd >= 0) ::close(fd);
      if (!written) {
        // Errors lose nothing: the old part is back (or, for the first, none).
        // Tried twice: a storage fault may fail the first rename back too.
        if (had) {
          if (::rename(old.c_str(), file.c_str()) != 0 && ::rename(old.c_str(), file.c_str()) != 0) {
            throw sinkkit::SinkError(std::string("cannot put the part back: ") + std::strerror(errno));
          }
        } else {
          (void)::unlink(file.c_str());
        }
        throw sinkkit::SinkError(std::string("cannot rewrite the part: ") + std::strerror(err));
      }
      if (had) ::unlink(old.c_str());
      held = std::move(data);
    }
    void close() { open = false; }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, sinkkit::AsyncBridge*, void*) {
    static std::atomic<int> counter{0};
    return Partition{std::filesystem::path(config.at("dir").get<std::string>()) /
                         ("part-w" + std::to_string(worker_index) + "-x" + std::to_string(::getpid()) + "-" +
                          std::to_string(counter++) + ".jsonl"),
                     {}};
  }
  // The parts (`*.jsonl`) only, as its restart reads them: what it moved
  // aside is not its output.
  static std::vector<Event> read_back(const nlohmann::json& config) {
    std::vector<Event> out;
    for (const auto& entry : std::filesystem::directory_iterator(config.at("dir").get<std::string>())) {
      if (entry.path().extension() != ".jsonl") continue;
      std::ifstream in(entry.path());
      for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!j.is_discarded()) out.push_back(j.get<Event>());
      }
    }
    return out;
  }
};


}  // namespace zoo
