#pragma once
// The journal of changes to files under a target that the interposer keeps
// while the kit models a power loss (ControlBlock::track), and that the
// power-loss model reads after the cut (power_loss.cpp). Binary records, each
// appended with one write: a JournalHeader, then `len1` bytes (a path, or a
// write's data), then `len2` (a rename's or link's second path). Plain data
// only: the interposer uses libc alone.

#include <cstdint>

namespace sinkkit::detail::faults {

enum class JournalKind : std::uint32_t {
  write = 1,  ///< ino, value = offset, the bytes written
  truncate,   ///< ino, value = the new size
  sync,       ///< ino: fsync, fdatasync, or a write through O_SYNC/O_DSYNC, or msync(MS_SYNC)
  dirsync,    ///< the path of a directory that was fsynced
  create,     ///< ino, the path of a file that did not exist before the call
  rename,     ///< from, to
  unlink,     ///< path
  mkdir,      ///< path
  rmdir,      ///< path
  link,       ///< from (existing), to (the new name)
  syncall,    ///< sync() or syncfs(): everything is durable
};

struct JournalHeader {
  std::uint32_t size;  ///< of the whole record, header included
  std::uint32_t kind;  ///< JournalKind
  std::uint64_t ns;    ///< CLOCK_MONOTONIC: the journals of several processes merge by it
  std::uint64_t ino;
  std::uint64_t value;
  std::uint32_t len1;
  std::uint32_t len2;
};

static_assert(sizeof(JournalHeader) == 40, "the journal's layout is shared by two programs");

}  // namespace sinkkit::detail::faults
