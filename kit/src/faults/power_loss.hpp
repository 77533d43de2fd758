#pragma once
// The power-loss model (rule SK-4.6): what a disk holds of a target after the
// power is cut, from the journal of changes the interposer kept while the
// sink ran (interposer.cpp, journal_format.hpp).
//
// The strict model of Linux's fsync(2): a file's data is durable as of its
// last successful fsync or fdatasync (or a write through O_SYNC/O_DSYNC,
// msync(MS_SYNC) of a shared mapping, sync() or syncfs()); a name (a create,
// rename, unlink, link, mkdir) is durable once its directory was fsynced. The
// bookkeeping is a copy at each sync (the interposer journals the file's
// whole content when it is synced, whatever wrote it) and the changes since,
// in order; nothing is journalled outside a cut's run, so the other rules pay
// one flag's load per storage call.
//
// A crash state lies between the strict one (only what was synced) and the
// page cache's (everything written): drawn from a seed, each file keeps a
// prefix, in order, of its unsynced changes, and each directory each of its
// unsynced name changes or not.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "control_block.hpp"

namespace sinkkit::detail::faults {

/// A tree under a root as it was when tracking began: relative path ->
/// a file's content, or nullopt for a directory; with each file's inode.
struct TreeSnapshot {
  struct Entry {
    std::optional<std::string> content;  ///< nullopt: a directory
    std::uint64_t ino = 0;
  };
  std::map<std::string, Entry> entries;
};

/// Reads the tree under `root` (a fresh target: nothing).
TreeSnapshot snapshot_tree(const std::filesystem::path& root);

/// Makes `block`'s process journal every change under `root` into `journal`
/// until `stop_tracking`.
void start_tracking(ControlBlock& block, const std::filesystem::path& root, const std::filesystem::path& journal);
void stop_tracking(ControlBlock& block) noexcept;

/// Between the strict state and the page cache's: with `strict`, only what
/// was synced; else what `seed` draws.
struct CrashStateChoice {
  bool strict = true;
  std::uint64_t seed = 0;
};

/// What a cut did: a sentence for the trace ("2 unsynced writes of
/// part-3.jsonl dropped, the name b-000004.jsonl not yet durable"; "nothing
/// written was unsynced"), and the counts.
struct PowerCutReport {
  std::string description;
  int writes_dropped = 0;
  int names_not_durable = 0;
};

/// Rewrites the tree under `root` to the crash state `choice` draws, from
/// `before` and the journals of every process that wrote under it (merged
/// by time). Throws std::runtime_error naming a journal it cannot read.
PowerCutReport cut_power(const std::filesystem::path& root, const TreeSnapshot& before,
                         const std::vector<std::filesystem::path>& journals, CrashStateChoice choice);

}  // namespace sinkkit::detail::faults
