#include <sinkkit/sinks/detail/jsonl_file_io.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/config.hpp>
#include <sinkkit/protocol/errors.hpp>

namespace sinkkit::sinks::detail {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// More partition files than this for one worker in one directory means
// something is leaking partitions; stop rather than scan forever.
constexpr int kMaxBranchesPerWorker = 4096;

bool is_partition_file(const fs::path& p) {
  auto name = p.filename().string();
  return name.starts_with("part-w") && name.ends_with(".jsonl");
}

// Cuts `fd` back to just after its last '\n'. Returns the bytes removed.
std::uint64_t repair_torn_tail(int fd, const fs::path& path, std::uint64_t size) {
  if (size == 0) return 0;
  constexpr std::uint64_t kChunk = 64 * 1024;
  std::vector<char> buf(kChunk);
  std::uint64_t end = size;
  bool last_byte = true;
  while (end > 0) {
    std::uint64_t start = end > kChunk ? end - kChunk : 0;
    auto want = static_cast<std::size_t>(end - start);
    ssize_t got = ::pread(fd, buf.data(), want, static_cast<off_t>(start));
    if (got != static_cast<ssize_t>(want)) {
      throw SinkError("repairing " + path.string() + ": read failed: " + errno_text(errno));
    }
    if (last_byte && buf[want - 1] == '\n') return 0;  // the common case: intact
    last_byte = false;
    for (std::size_t i = want; i-- > 0;) {
      if (buf[i] == '\n') {
        std::uint64_t keep = start + i + 1;
        if (::ftruncate(fd, static_cast<off_t>(keep)) != 0) {
          throw SinkError("repairing " + path.string() + ": truncate failed: " + errno_text(errno));
        }
        return size - keep;
      }
    }
    end = start;
  }
  if (::ftruncate(fd, 0) != 0) {
    throw SinkError("repairing " + path.string() + ": truncate failed: " + errno_text(errno));
  }
  return size;
}

void sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw SinkError("opening " + dir.string() + " to fsync it failed: " + errno_text(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw SinkError("fsync of the directory " + dir.string() + " failed: " + errno_text(err));
}

FsyncPolicy policy_named(const std::string& name) {
  return name == "batch" ? FsyncPolicy::batch : name == "close" ? FsyncPolicy::close : FsyncPolicy::never;
}

}  // namespace

FsyncPolicy fsync_policy_of(const nlohmann::json& config) {
  if (!config.is_object() || !config.contains("fsync") || !config["fsync"].is_string()) return FsyncPolicy::batch;
  return policy_named(config["fsync"].get<std::string>());
}

JsonlFileConfig parse_jsonl_config(const nlohmann::json& config) {
  ConfigReader reader(config);
  JsonlFileConfig out;
  out.dir = reader.required_string("dir");
  out.fsync = policy_named(reader.one_of("fsync", {"batch", "close", "never"}, "batch"));
  reader.reject_unknown_keys();

  std::error_code ec;
  auto status = fs::status(out.dir, ec);
  if (ec || !fs::exists(status)) {
    throw ConfigError("dir", "'" + out.dir.string() + "' does not exist");
  }
  if (!fs::is_directory(status)) throw ConfigError("dir", "'" + out.dir.string() + "' is not a directory");
  if (::access(out.dir.c_str(), W_OK | X_OK) != 0) {
    throw ConfigError("dir", "'" + out.dir.string() + "' is not writable: " + errno_text(errno));
  }
  return out;
}

PartitionFile open_partition_file(const fs::path& dir, int worker_index, FsyncPolicy fsync) {
  for (int branch = 0; branch < kMaxBranchesPerWorker; ++branch) {
    PartitionFile file;
    file.path = dir / ("part-w" + std::to_string(worker_index) + "-b" + std::to_string(branch) + ".jsonl");
    // Read-write: the repair reads the tail (pread) and cuts it (ftruncate) on this descriptor.
    // O_EXCL first, to know whether the name is new: a new name is durable
    // only once its directory is synced (fsync(2)), and the file's later
    // fdatasyncs do not sync it.
    constexpr int kFlags = O_RDWR | O_APPEND | O_CLOEXEC;
    file.fd = ::open(file.path.c_str(), kFlags | O_CREAT | O_EXCL, 0644);
    const bool created = file.fd >= 0;
    if (!created && errno == EEXIST) file.fd = ::open(file.path.c_str(), kFlags);
    if (file.fd < 0) {
      throw ConfigError("dir", "cannot create " + file.path.string() + ": " + errno_text(errno));
    }
    if (created && fsync != FsyncPolicy::never) {
      try {
        sync_directory(dir);
      } catch (...) {
        ::close(file.fd);
        throw;
      }
    }
    if (::flock(file.fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(file.fd);
      if (err == EWOULDBLOCK) continue;  // another partition holds it: next branch slot
      throw SinkError("locking " + file.path.string() + " failed: " + errno_text(err));
    }
    try {
      struct stat st {};
      if (::fstat(file.fd, &st) != 0) throw SinkError("stat " + file.path.string() + ": " + errno_text(errno));
      file.repaired_bytes = repair_torn_tail(file.fd, file.path, static_cast<std::uint64_t>(st.st_size));
      file.size = static_cast<std::uint64_t>(st.st_size) - file.repaired_bytes;
    } catch (...) {
      ::close(file.fd);
      throw;
    }
    return file;
  }
  throw SinkError("more than " + std::to_string(kMaxBranchesPerWorker) + " open partitions of worker " +
                  std::to_string(worker_index) + " in " + dir.string());
}

std::size_t count_newlines(std::string_view data) noexcept {
  std::size_t count = 0, i = 0;
#if defined(__SSE2__)
  // 16 bytes at a time: 0 or 1 per byte, summed per lane for up to 255 rounds.
  const __m128i newline = _mm_set1_epi8('\n'), one = _mm_set1_epi8(1);
  while (i + 16 <= data.size()) {
    __m128i lanes = _mm_setzero_si128();
    for (int round = 0; round < 255 && i + 16 <= data.size(); ++round, i += 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data.data() + i));
      lanes = _mm_add_epi8(lanes, _mm_and_si128(_mm_cmpeq_epi8(bytes, newline), one));
    }
    const __m128i sums = _mm_sad_epu8(lanes, _mm_setzero_si128());  // two 64-bit sums
    count += static_cast<std::size_t>(_mm_cvtsi128_si64(sums)) +
             static_cast<std::size_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
  }
#else
  constexpr std::uint64_t newlines = 0x0A0A0A0A0A0A0A0AULL, lows = 0x7F7F7F7F7F7F7F7FULL;
  for (; i + 8 <= data.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data.data() + i, 8);
    const std::uint64_t x = w ^ newlines;  // a zero byte where a newline was
    // Exact per byte (no borrow between bytes): the high bit set where x's
    // byte is zero; then a 1 per such byte, summed into the top byte.
    const std::uint64_t found = (~(((x & lows) + lows) | x | lows) >> 7);
    count += static_cast<std::size_t>((found * 0x0101010101010101ULL) >> 56);
  }
#endif
  for (; i < data.size(); ++i) count += data[i] == '\n' ? 1 : 0;
  return count;
}

void append_all(PartitionFile& file, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(file.fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      // Leave no torn batch behind: what is acknowledged stays, the rest goes.
      if (done > 0 && ::ftruncate(file.fd, static_cast<off_t>(file.size)) != 0) {
        throw SinkError("append to " + file.path.string() + " failed (" + errno_text(err) +
                        ") and the partial batch could not be removed: " + errno_text(errno));
      }
      throw SinkError("append to " + file.path.string() + " failed: " + errno_text(err));
    }
    done += static_cast<std::size_t>(n);
  }
  file.size += data.size();
}

void sync_file(const PartitionFile& file) {
  if (::fdatasync(file.fd) != 0) {
    throw SinkError("fdatasync " + file.path.string() + " failed: " + errno_text(errno));
  }
}

void close_file(PartitionFile& file) {
  int fd = file.fd;
  file.fd = -1;
  // Linux releases the descriptor even when close reports an error; retrying would be wrong.
  if (fd >= 0 && ::close(fd) != 0) throw SinkError("close " + file.path.string() + " failed: " + errno_text(errno));
}

ReadStats for_each_stored_line(
    const fs::path& dir,
    const std::function<void(std::string_view, const fs::path&, std::size_t)>& on_line) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && is_partition_file(entry.path())) files.push_back(entry.path());
  }
  if (ec) throw SinkError("listing " + dir.string() + " failed: " + ec.message());
  std::sort(files.begin(), files.end());

  ReadStats stats;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw SinkError("cannot open " + path.string() + " for read-back");
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw SinkError("reading " + path.string() + " failed");
    ++stats.files;
    std::size_t line_no = 0;
    std::string_view rest(content);
    while (!rest.empty()) {
      auto nl = rest.find('\n');
      if (nl == std::string_view::npos) {
        ++stats.torn_tails;
        break;
      }
      ++line_no;
      on_line(rest.substr(0, nl), path, line_no);
      ++stats.lines;
      rest.remove_prefix(nl + 1);
    }
  }
  return stats;
}

}  // namespace sinkkit::sinks::detail
