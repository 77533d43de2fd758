#pragma once
// The control block shared by the storage-fault interposer (interposer.cpp,
// loaded into the sink's process) and the kit (fault_control.cpp), which arms
// one fault at a time in it. In process it is a global of the interposer; out
// of process it is a small file both sides map (MAP_SHARED), named by the
// environment variable kControlFileEnv. Plain data and lock-free atomics only:
// the two sides may be different programs built with different flags.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sinkkit::detail::faults {

inline constexpr std::uint32_t kMagic = 0x31464b53;  // "SKF1"
inline constexpr const char* kControlFileEnv = "SINKKIT_FAULTS_CONTROL";
/// The symbol the interposer exports for in-process use: returns its block.
inline constexpr const char* kControlSymbol = "sinkkit_faults_control_block";

/// The calls a fault can aim at.
enum Op : std::uint32_t {
  op_write = 1,   ///< write, pwrite, pwrite64, writev, pwritev
  op_sync = 2,    ///< fsync, fdatasync
  op_rename = 4,  ///< rename, renameat, renameat2
  op_create = 8,  ///< open/openat/creat with O_CREAT
};

/// Fault states (`state`). Only `idle -> firing -> fired` happens inside a
/// window; the kit moves any state to `closed` when it ends the window, after
/// which no call can take the fault (a call already past the armed check
/// included).
enum State : std::uint32_t {
  idle = 0,    ///< armed, nothing aimed at seen yet (or still skipping)
  firing = 1,  ///< one thread is filling in the report
  fired = 2,   ///< the error was returned; the report is complete
  closed = 3,  ///< the window is over
};

inline constexpr std::size_t kPathBytes = 4096;

struct ControlBlock {
  std::uint32_t magic;
  // Set by the kit before it opens the window (armed = 1, release).
  std::atomic<std::uint32_t> armed;
  std::uint32_t ops;          ///< Op bits aimed at
  std::int32_t error;         ///< errno returned
  std::uint32_t short_write;  ///< 1: the first aimed write writes part of its bytes, the next aimed call fails
  std::atomic<std::int32_t> skip;  ///< aimed calls let through before the fault
  /// Only files under this directory are aimed at: as the kit names it, and
  /// resolved (a descriptor's path is the resolved one; a path argument is
  /// as the sink wrote it).
  char root[kPathBytes];
  char resolved_root[kPathBytes];
  /// Set by the interposer when it maps a control file: the sink's process
  /// really loaded it (a static binary, or one that drops LD_PRELOAD, does not).
  std::atomic<std::int32_t> attached_pid;

  // Reports, written by the interposer.
  std::atomic<std::uint32_t> state;
  std::atomic<std::uint32_t> short_done;     ///< the short write happened
  std::atomic<std::uint32_t> retried;        ///< a later call of the failed kind on the same file succeeded
  std::atomic<std::uint64_t> short_written;  ///< bytes the short write wrote (of short_asked)
  std::atomic<std::uint64_t> short_asked;
  std::uint32_t fired_op;  ///< Op of the failed call
  std::int32_t fired_fd;   ///< its descriptor (-1 for rename and open)
  std::uint64_t fired_bytes;  ///< a failed write: its length and a hash of its bytes, to know a retry of
  std::uint64_t fired_hash;   ///< the same data from the next write of something else
  char fired_call[16];     ///< "write", "fdatasync", ...
  char fired_path[kPathBytes];  ///< the file it was on

  // Power loss (rule SK-4.6): while `track` is not 0, the interposer appends
  // every change to files and names under the root (root, resolved_root) to
  // the journal file `journal` (journal_format.hpp), which the kit reads
  // after the cut to decide what a disk would hold. Independent of `armed`.
  // Each tracking has a value of its own: a process that journalled before
  // opens the journal afresh (the same name may be a new file).
  std::atomic<std::uint32_t> track;
  char journal[kPathBytes];
};

static_assert(std::atomic<std::uint32_t>::is_always_lock_free && std::atomic<std::uint64_t>::is_always_lock_free,
              "the control block is shared between processes");

/// Copies `from` into one of the block's path fields (`size` bytes), cut to
/// fit and NUL-terminated (the kit's side: the interposer has its own, libc only).
inline void copy_into(char* to, std::size_t size, std::string_view from) {
  const auto n = from.size() < size - 1 ? from.size() : size - 1;
  for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
  to[n] = '\0';
}

}  // namespace sinkkit::detail::faults
