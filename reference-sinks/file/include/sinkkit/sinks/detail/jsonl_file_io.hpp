#pragma once
/// \file
/// The untyped file work behind `JsonlFileSink`: picking and locking a
/// partition file, repairing a torn tail, appending a batch atomically,
/// syncing, and reading stored lines back. Not for direct use.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace sinkkit::sinks::detail {

/// When a JSONL partition calls fdatasync.
enum class FsyncPolicy { batch, close, never };

/// A parsed and checked `JsonlFileSink` config.
struct JsonlFileConfig {
  std::filesystem::path dir;
  FsyncPolicy fsync = FsyncPolicy::batch;
};

/// Validates `config` (`dir`: an existing, writable directory; `fsync`:
/// batch | close | never; nothing else). Throws `ConfigError` naming the key.
JsonlFileConfig parse_jsonl_config(const nlohmann::json& config);

/// A partition file, opened for append and exclusively locked.
struct PartitionFile {
  int fd = -1;
  std::filesystem::path path;
  std::uint64_t size = 0;            ///< bytes in the file after repair
  std::uint64_t repaired_bytes = 0;  ///< torn tail cut off at open (an earlier crash)
};

/// Opens (creating if needed) the first `part-w<worker>-b<n>.jsonl` in `dir`
/// that no other open partition holds (flock), and cuts off a torn last line.
/// The lock is what keeps router branches and duplicate nodes apart. A file
/// it creates has its name made durable (`dir` fsynced) unless `fsync` is
/// `never`. Throws `ConfigError` (key `dir`) when the directory refuses the
/// file, `SinkError` when the directory's fsync fails.
PartitionFile open_partition_file(const std::filesystem::path& dir, int worker_index, FsyncPolicy fsync);

/// The `fsync` policy `config` asks for (the default when it names none),
/// without checking the rest of it.
FsyncPolicy fsync_policy_of(const nlohmann::json& config);

/// Writes all of `data` at the end of `file` (one write where the kernel
/// allows). On failure the file is cut back to its old size, so a batch is
/// all there or not at all, and `SinkError` is thrown.
void append_all(PartitionFile& file, std::string_view data);
/// How many '\n' bytes `data` holds (8 bytes at a time).
std::size_t count_newlines(std::string_view data) noexcept;

/// fdatasync; throws `SinkError` on failure.
void sync_file(const PartitionFile& file);

/// Releases the descriptor (and the lock). Throws `SinkError` if close fails;
/// the descriptor is released either way.
void close_file(PartitionFile& file);

/// What reading a target found besides the stored lines.
struct ReadStats {
  std::size_t files = 0;
  std::size_t lines = 0;
  std::size_t torn_tails = 0;  ///< files ending in a partial line (skipped)
};

/// Calls `on_line(line, file, line_number)` for every complete line of every
/// partition file in `dir`, files in name order. A final line with no `\n`
/// is a torn write and is skipped (counted in the result).
ReadStats for_each_stored_line(
    const std::filesystem::path& dir,
    const std::function<void(std::string_view, const std::filesystem::path&, std::size_t)>& on_line);

}  // namespace sinkkit::sinks::detail
