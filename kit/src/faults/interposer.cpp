// libsinkkit_faults: makes a sink's storage calls fail, from outside the sink.
//
// Loaded into the sink's process (LD_PRELOAD for sink processes; linked into
// in-process conformance programs), it stands in front of libc's write,
// pwrite, writev, fsync, fdatasync, rename and open(O_CREAT). While the kit
// has armed a fault (control_block.hpp), the first aimed call on a file under
// the armed root directory fails with the armed errno, or, for a short write,
// writes part of its bytes and the next aimed call fails. Everything else
// (every call while disarmed, pipes, sockets, stdout, files outside the root)
// goes straight to libc.
//
// While the kit models a power loss (ControlBlock::track, rule SK-4.6) it
// also records every change under the root in a journal: the data and offset
// of each write, truncations, fsyncs of files and directories, creates,
// renames, unlinks, mkdirs, links, sync()s. The model of what a disk keeps
// is the kit's (power_loss.cpp): the interposer only records.
//
// Why not libfiu: its POSIX failpoints cannot be scoped to one directory's
// descriptors (they would hit the wire pipes and the report pipe), cannot
// return a short write, and its external control cannot arm a fault right
// before the call it aims at.
//
// This file is compiled without sanitizers and uses libc only: it is loaded
// into programs it knows nothing about (Python, sanitizer builds).

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>

#include "control_block.hpp"
#include "journal_format.hpp"

namespace {

using namespace sinkkit::detail::faults;

ControlBlock g_local_block{};           // in process
ControlBlock* g_block = &g_local_block;  // or the mapped control file

// --- libc's own functions -------------------------------------------------

// Resolved once at load (attach()), so that no dlsym runs inside a call
// (a write from a signal handler, say); the lazy path covers calls made by
// other libraries' constructors before ours ran.
template <class F>
F next(F& slot, const char* name) {
  F f = __atomic_load_n(&slot, __ATOMIC_ACQUIRE);
  if (f == nullptr) {
    f = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
    __atomic_store_n(&slot, f, __ATOMIC_RELEASE);
  }
  return f;
}

using write_fn = ssize_t (*)(int, const void*, size_t);
using pwrite_fn = ssize_t (*)(int, const void*, size_t, off_t);
using writev_fn = ssize_t (*)(int, const struct iovec*, int);
using pwritev_fn = ssize_t (*)(int, const struct iovec*, int, off_t);
using sync_fn = int (*)(int);
using rename_fn = int (*)(const char*, const char*);
using renameat_fn = int (*)(int, const char*, int, const char*);
using renameat2_fn = int (*)(int, const char*, int, const char*, unsigned);
using open_fn = int (*)(const char*, int, ...);
using openat_fn = int (*)(int, const char*, int, ...);
using creat_fn = int (*)(const char*, mode_t);
using ftruncate_fn = int (*)(int, off_t);
using truncate_fn = int (*)(const char*, off_t);
using unlink_fn = int (*)(const char*);
using unlinkat_fn = int (*)(int, const char*, int);
using mkdir_fn = int (*)(const char*, mode_t);
using mkdirat_fn = int (*)(int, const char*, mode_t);
using link_fn = int (*)(const char*, const char*);
using linkat_fn = int (*)(int, const char*, int, const char*, int);
using sync_all_fn = void (*)();
using msync_fn = int (*)(void*, size_t, int);

write_fn real_write;
pwrite_fn real_pwrite, real_pwrite64;
writev_fn real_writev;
pwritev_fn real_pwritev, real_pwritev64;
sync_fn real_fsync, real_fdatasync;
rename_fn real_rename;
renameat_fn real_renameat;
renameat2_fn real_renameat2;
open_fn real_open, real_open64;
openat_fn real_openat, real_openat64;
creat_fn real_creat, real_creat64;
ftruncate_fn real_ftruncate, real_ftruncate64;
truncate_fn real_truncate, real_truncate64;
unlink_fn real_unlink, real_rmdir;
unlinkat_fn real_unlinkat;
mkdir_fn real_mkdir;
mkdirat_fn real_mkdirat;
link_fn real_link;
linkat_fn real_linkat;
sync_all_fn real_sync;
sync_fn real_syncfs;
msync_fn real_msync;

// --- scope ------------------------------------------------------------------

void copy(char* to, std::size_t size, const char* from) {
  std::size_t i = 0;
  for (; from[i] != '\0' && i + 1 < size; ++i) to[i] = from[i];
  to[i] = '\0';
}

bool under(const char* path, const char* root) {
  const std::size_t n = strlen(root);
  if (n == 0 || strncmp(path, root, n) != 0) return false;
  return path[n] == '/' || path[n] == '\0' || root[n - 1] == '/';
}

bool under_root(const char* path, const ControlBlock& b) { return under(path, b.root) || under(path, b.resolved_root); }

// The file a descriptor is open on ("pipe:[...]" and "socket:[...]" are not
// paths, so the kit's channels are never under the root). False when the
// path does not fit: a file the kit cannot name is not aimed at.
bool fd_path(int fd, char* out, std::size_t size) {
  char link[40] = "/proc/self/fd/";
  char digits[16];
  int n = 0;
  unsigned v = static_cast<unsigned>(fd);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < 15);
  std::size_t at = strlen(link);
  while (n > 0) link[at++] = digits[--n];
  link[at] = '\0';
  const long len = syscall(SYS_readlinkat, AT_FDCWD, link, out, size);
  if (len <= 0 || static_cast<std::size_t>(len) >= size) return false;
  out[len] = '\0';
  return true;
}

// An absolute form of `path` relative to `dirfd` (AT_FDCWD: the working directory).
bool absolute(int dirfd, const char* path, char* out, std::size_t size) {
  if (path == nullptr) return false;
  if (path[0] == '/') {
    if (strlen(path) >= size) return false;
    copy(out, size, path);
    return true;
  }
  if (dirfd == AT_FDCWD) {
    if (syscall(SYS_getcwd, out, size) <= 0) return false;
  } else if (!fd_path(dirfd, out, size)) {
    return false;
  }
  std::size_t at = strlen(out);
  if (at + 1 + strlen(path) + 1 > size) return false;
  out[at++] = '/';
  copy(out + at, size - at, path);
  return true;
}

bool is_directory(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

// FNV-1a: tells a retry of the failed write's bytes from the next write.
std::uint64_t hash_bytes(std::uint64_t h, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}
constexpr std::uint64_t kHashSeed = 14695981039346656037ULL;

// --- the durability journal (power loss) -------------------------------------

// The block while the kit tracks changes for its power-loss model, else null.
ControlBlock* tracking_block() {
  ControlBlock* b = g_block;
  if (b == nullptr || b->track.load(std::memory_order_acquire) == 0) return nullptr;
  return b;
}

// One journal file per process and block, opened at its first record.
pthread_mutex_t g_journal_mutex = PTHREAD_MUTEX_INITIALIZER;
int g_journal_fd = -1;
std::uint32_t g_journal_tracking = 0;  // the `track` value it was opened for

int journal_fd(const ControlBlock& b) {
  pthread_mutex_lock(&g_journal_mutex);
  const std::uint32_t tracking = b.track.load(std::memory_order_acquire);
  if (g_journal_fd < 0 || g_journal_tracking != tracking) {
    if (g_journal_fd >= 0) syscall(SYS_close, g_journal_fd);
    g_journal_fd = static_cast<int>(
        syscall(SYS_openat, AT_FDCWD, b.journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    g_journal_tracking = tracking;
  }
  const int fd = g_journal_fd;
  pthread_mutex_unlock(&g_journal_mutex);
  return fd;
}

std::uint64_t monotonic_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

// Appends one record: the header, then `parts` (len1 bytes of them, then len2).
void journal_append(const ControlBlock& b, JournalKind kind, std::uint64_t ino, std::uint64_t value,
                    const struct iovec* parts, int count, std::size_t len1, std::size_t len2) {
  const int fd = journal_fd(b);
  if (fd < 0) return;
  JournalHeader h{};
  h.size = static_cast<std::uint32_t>(sizeof h + len1 + len2);
  h.kind = static_cast<std::uint32_t>(kind);
  h.ns = monotonic_ns();
  h.ino = ino;
  h.value = value;
  h.len1 = static_cast<std::uint32_t>(len1);
  h.len2 = static_cast<std::uint32_t>(len2);
  struct iovec all[66];
  all[0] = {&h, sizeof h};
  int n = 1;
  for (int i = 0; i < count && n < 66; ++i) all[n++] = parts[i];
  syscall(SYS_writev, fd, all, n);  // one write: O_APPEND keeps it whole among other processes'
}

// A record naming one or two paths.
void journal_paths(const ControlBlock& b, JournalKind kind, std::uint64_t ino, const char* first,
                   const char* second = nullptr) {
  struct iovec parts[2] = {{const_cast<char*>(first), strlen(first)}, {nullptr, 0}};
  int count = 1;
  if (second != nullptr) parts[count++] = {const_cast<char*>(second), strlen(second)};
  journal_append(b, kind, ino, 0, parts, count, parts[0].iov_len, second != nullptr ? parts[1].iov_len : 0);
}

// A write about to be made on `fd`, when it is tracked (a regular file under
// the root): its file, where its bytes go (`at` < 0: the file's offset, or
// its end with O_APPEND), and whether the file is synchronous.
struct TrackedWrite {
  const ControlBlock* block = nullptr;
  int fd = -1;
  std::uint64_t ino = 0;
  std::uint64_t offset = 0;
  bool synchronous = false;
};

void journal_sync(int fd);

TrackedWrite tracked_write(int fd, off_t at) {
  ControlBlock* b = tracking_block();
  if (b == nullptr) return {};
  char path[kPathBytes];
  struct stat st {};
  if (!fd_path(fd, path, sizeof path) || !under_root(path, *b) || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return {};
  const int flags = fcntl(fd, F_GETFL);
  off_t offset = at;
  if (offset < 0) offset = (flags & O_APPEND) != 0 ? st.st_size : lseek(fd, 0, SEEK_CUR);
  return {b, fd, static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(offset < 0 ? 0 : offset),
          flags >= 0 && (flags & O_DSYNC) != 0};  // O_SYNC includes O_DSYNC's bit
}

// The first `written` bytes of `iov` went to the tracked file.
void journal_write(const TrackedWrite& t, const struct iovec* iov, int count, ssize_t written) {
  if (t.block == nullptr || written <= 0) return;
  struct iovec parts[64];
  int n = 0;
  std::size_t left = static_cast<std::size_t>(written);
  for (int i = 0; i < count && n < 64 && left > 0; ++i) {
    parts[n] = iov[i];
    if (parts[n].iov_len > left) parts[n].iov_len = left;
    left -= parts[n].iov_len;
    ++n;
  }
  journal_append(*t.block, JournalKind::write, t.ino, t.offset, parts, n, static_cast<std::size_t>(written) - left, 0);
  if (t.synchronous) journal_sync(t.fd);
}

// A file under the root was synced: its whole content, as it is now, is
// what a disk holds of it (the "copy at each sync" of the model: whatever
// wrote the bytes, a write(2), a shared mapping, a stream, they are in it).
// Mapped, to go out in one write.
void journal_synced_file(const ControlBlock& b, const char* path, std::uint64_t ino) {
  const long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st {};
  void* content = nullptr;
  if (fstat(static_cast<int>(fd), &st) == 0 && st.st_size > 0) {
    content = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, static_cast<int>(fd), 0);
  }
  syscall(SYS_close, fd);
  if (content == MAP_FAILED) return;
  const auto size = static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 0);
  const struct iovec part{content, size};
  journal_append(b, JournalKind::sync, ino, size, &part, content != nullptr ? 1 : 0, size, 0);
  if (content != nullptr) munmap(content, size);
}

// The file or directory `fd` was synced: a tracked one is journalled.
void journal_sync(int fd) {
  ControlBlock* b = tracking_block();
  if (b == nullptr) return;
  char path[kPathBytes];
  struct stat st {};
  if (!fd_path(fd, path, sizeof path) || !under_root(path, *b) || fstat(fd, &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    journal_paths(*b, JournalKind::dirsync, 0, path);
  } else if (S_ISREG(st.st_mode)) {
    journal_synced_file(*b, path, static_cast<std::uint64_t>(st.st_ino));
  }
}

// The file mapped at `addr`, from /proc/self/maps (read with raw calls):
// "start-end perms offset dev inode   path".
bool mapped_file(const void* addr, char* out, std::size_t size) {
  const long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const auto where = reinterpret_cast<std::uintptr_t>(addr);
  char buf[8192];
  char line[kPathBytes + 128];
  std::size_t used = 0;
  bool found = false;
  for (long n; !found && (n = syscall(SYS_read, fd, buf, sizeof buf)) > 0;) {
    for (long i = 0; i < n && !found; ++i) {
      if (buf[i] != '\n') {
        if (used + 1 < sizeof line) line[used++] = buf[i];
        continue;
      }
      line[used] = '\0';
      used = 0;
      char* end = nullptr;
      const auto start = strtoull(line, &end, 16);
      if (end == nullptr || *end != '-') continue;
      const auto stop = strtoull(end + 1, &end, 16);
      if (where < start || where >= stop) continue;
      const char* slash = strchr(line, '/');
      if (slash != nullptr) {
        copy(out, size, slash);
        found = true;
      }
      break;
    }
  }
  syscall(SYS_close, fd);
  return found;
}

// A path call under the root while tracking: the block, and the path made absolute.
ControlBlock* tracked_path(int dirfd, const char* p, char* path, std::size_t size) {
  ControlBlock* b = tracking_block();
  if (b == nullptr || !absolute(dirfd, p, path, size) || !under_root(path, *b)) return nullptr;
  return b;
}

// A call changing one name: journalled when tracked and the call succeeded.
template <class Call>
int journal_name(JournalKind kind, int dirfd, const char* p, Call call) {
  char path[kPathBytes];
  ControlBlock* b = tracked_path(dirfd, p, path, sizeof path);
  const int r = call();
  if (b != nullptr && r == 0) journal_paths(*b, kind, 0, path);
  return r;
}

// A call making a second name (rename, link): journalled when either is under the root.
template <class Call>
int journal_two_names(JournalKind kind, int fromfd, const char* from, int tofd, const char* to, Call call) {
  ControlBlock* b = tracking_block();
  char from_path[kPathBytes], to_path[kPathBytes];
  const bool known = b != nullptr && absolute(fromfd, from, from_path, sizeof from_path) &&
                     absolute(tofd, to, to_path, sizeof to_path) &&
                     (under_root(from_path, *b) || under_root(to_path, *b));
  const int r = call();
  if (known && r == 0) journal_paths(*b, kind, 0, from_path, to_path);
  return r;
}

// --- the fault ---------------------------------------------------------------

enum class Decision { pass, fail, short_write };

struct Aim {
  Op op;
  const char* call;
  int fd;            // -1 for path calls
  const char* path;  // resolved file
  std::uint64_t bytes = 0;  // a write: its length and hash
  std::uint64_t hash = 0;
};

// Whether this call (already known to be aimed at) fails. Exactly one call
// gets `fail` per window: the one that moves the state from idle to firing,
// which the kit's closing of the window (state -> closed) excludes.
Decision decide(ControlBlock& b, const Aim& aim, bool can_be_short) {
  if (b.state.load(std::memory_order_acquire) != idle) return Decision::pass;
  if (b.short_write != 0 && aim.op == op_write && can_be_short && b.short_done.load(std::memory_order_acquire) == 0) {
    std::uint32_t expected = 0;
    if (b.short_done.compare_exchange_strong(expected, 1)) return Decision::short_write;
  }
  if (b.skip.fetch_sub(1) > 0) return Decision::pass;
  std::uint32_t expected = idle;
  if (!b.state.compare_exchange_strong(expected, firing)) return Decision::pass;
  b.fired_op = aim.op;
  b.fired_fd = aim.fd;
  b.fired_bytes = aim.bytes;
  b.fired_hash = aim.hash;
  copy(b.fired_call, sizeof b.fired_call, aim.call);
  copy(b.fired_path, sizeof b.fired_path, aim.path);
  b.state.store(fired, std::memory_order_release);
  return Decision::fail;
}

// A later call that made the failed one good: the same kind on the same
// file, and for a write the same bytes (not merely the next record).
void note_success(ControlBlock& b, const Aim& aim) {
  if (b.state.load(std::memory_order_acquire) != fired || b.fired_op != aim.op) return;
  const bool same_file = aim.fd >= 0 ? aim.fd == b.fired_fd : strcmp(aim.path, b.fired_path) == 0;
  const bool same_data = aim.op != op_write || (aim.bytes == b.fired_bytes && aim.hash == b.fired_hash);
  if (same_file && same_data) b.retried.store(1, std::memory_order_release);
}

ControlBlock* armed_block() {
  ControlBlock* b = g_block;
  if (b == nullptr || b->armed.load(std::memory_order_acquire) == 0) return nullptr;
  return b;
}

// For descriptor calls: the armed block and the file, when the call is aimed at.
ControlBlock* aimed_fd(Op op, int fd, char* path, std::size_t size) {
  ControlBlock* b = armed_block();
  if (b == nullptr || (b->ops & op) == 0) return nullptr;
  if (!fd_path(fd, path, size) || !under_root(path, *b)) return nullptr;
  // A directory's fsync (after a create or rename) is left alone: libraries
  // such as SQLite ignore its errors on purpose.
  if (op == op_sync && is_directory(fd)) return nullptr;
  return b;
}

ControlBlock* aimed_path(Op op, int dirfd, const char* p, char* path, std::size_t size) {
  ControlBlock* b = armed_block();
  if (b == nullptr || (b->ops & op) == 0) return nullptr;
  if (!absolute(dirfd, p, path, size) || !under_root(path, *b)) return nullptr;
  return b;
}

template <class Call>
auto fail_or_call(ControlBlock* b, const Aim& aim, Call call) -> decltype(call()) {
  if (decide(*b, aim, false) == Decision::fail) {
    errno = b->error;
    return -1;
  }
  auto r = call();
  if (r >= 0) note_success(*b, aim);
  return r;
}

// write-like calls: `call(n)` writes the first n bytes; `hash()` hashes all of them.
template <class Hash, class Call>
ssize_t write_like(int fd, const char* name, std::size_t total, Hash hash, Call call) {
  char path[kPathBytes];
  ControlBlock* b = aimed_fd(op_write, fd, path, sizeof path);
  if (b == nullptr) return call(total);
  const Aim aim{op_write, name, fd, path, total, hash()};
  switch (decide(*b, aim, total > 1)) {
    case Decision::fail:
      errno = b->error;
      return -1;
    case Decision::short_write: {
      // Fewer bytes than asked (a full disk): a careful sink sees the count,
      // and its retry of the rest gets the error.
      copy(b->fired_call, sizeof b->fired_call, name);
      copy(b->fired_path, sizeof b->fired_path, path);
      const ssize_t r = call(total / 2);
      if (r >= 0) b->short_written.store(static_cast<std::uint64_t>(r), std::memory_order_release);
      b->short_asked.store(total, std::memory_order_release);
      return r;
    }
    case Decision::pass:
      break;
  }
  const ssize_t r = call(total);
  if (r >= 0) note_success(*b, aim);
  return r;
}

std::size_t iov_total(const struct iovec* iov, int count) {
  std::size_t n = 0;
  for (int i = 0; i < count; ++i) n += iov[i].iov_len;
  return n;
}

// The first `limit` bytes of an iovec array, as another (at most 64 entries kept).
int iov_prefix(const struct iovec* iov, int count, std::size_t limit, struct iovec* out) {
  int n = 0;
  for (int i = 0; i < count && n < 64 && limit > 0; ++i) {
    out[n] = iov[i];
    if (out[n].iov_len > limit) out[n].iov_len = limit;
    limit -= out[n].iov_len;
    ++n;
  }
  return n;
}

// The open family: only creating opens under the root are aimed at; while
// tracking, a file it creates and a file it truncates are journalled.
template <class Call>
int open_like(const char* name, int dirfd, const char* p, int flags, Call call) {
  char tracked[kPathBytes];
  ControlBlock* t = (flags & (O_CREAT | O_TRUNC)) != 0 ? tracked_path(dirfd, p, tracked, sizeof tracked) : nullptr;
  struct stat before {};
  const bool existed = t != nullptr && stat(tracked, &before) == 0;
  auto journalled = [&](int fd) {
    struct stat st {};
    if (t == nullptr || fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return fd;
    if (!existed) {
      journal_paths(*t, JournalKind::create, static_cast<std::uint64_t>(st.st_ino), tracked);
    } else if ((flags & O_TRUNC) != 0) {
      journal_append(*t, JournalKind::truncate, static_cast<std::uint64_t>(st.st_ino), 0, nullptr, 0, 0, 0);
    }
    return fd;
  };
  if ((flags & O_CREAT) != 0) {
    char path[kPathBytes];
    if (ControlBlock* b = aimed_path(op_create, dirfd, p, path, sizeof path)) {
      return journalled(fail_or_call(b, Aim{op_create, name, -1, path}, call));
    }
  }
  return journalled(call());
}

// The control file the kit named in the environment, mapped (both sides
// map it); the in-process block if none. Raw syscalls: it runs in a forked
// child too.
char g_attached[kPathBytes];  // the name of the mapped file, "" for none

void attach_control() {
  g_block = &g_local_block;
  g_attached[0] = '\0';
  const char* file = getenv(kControlFileEnv);
  if (file == nullptr || file[0] == '\0' || strlen(file) >= sizeof g_attached) return;
  const long fd = syscall(SYS_openat, AT_FDCWD, file, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;
  void* p = mmap(nullptr, sizeof(ControlBlock), PROT_READ | PROT_WRITE, MAP_SHARED, static_cast<int>(fd), 0);
  syscall(SYS_close, fd);
  if (p == MAP_FAILED) return;
  auto* b = static_cast<ControlBlock*>(p);
  if (b->magic != kMagic) return;
  memcpy(g_attached, file, strlen(file) + 1);
  g_block = b;
  b->attached_pid.store(static_cast<std::int32_t>(getpid()), std::memory_order_release);
}

// At load: libc's functions, and out of process the control file the kit
// named, which both sides map.
__attribute__((constructor)) void attach() {
  next(real_write, "write");
  next(real_pwrite, "pwrite");
  next(real_pwrite64, "pwrite64");
  next(real_writev, "writev");
  next(real_pwritev, "pwritev");
  next(real_pwritev64, "pwritev64");
  next(real_fsync, "fsync");
  next(real_fdatasync, "fdatasync");
  next(real_rename, "rename");
  next(real_renameat, "renameat");
  next(real_renameat2, "renameat2");
  next(real_open, "open");
  next(real_open64, "open64");
  next(real_openat, "openat");
  next(real_openat64, "openat64");
  next(real_creat, "creat");
  next(real_creat64, "creat64");
  next(real_ftruncate, "ftruncate");
  next(real_ftruncate64, "ftruncate64");
  next(real_truncate, "truncate");
  next(real_truncate64, "truncate64");
  next(real_unlink, "unlink");
  next(real_rmdir, "rmdir");
  next(real_unlinkat, "unlinkat");
  next(real_mkdir, "mkdir");
  next(real_mkdirat, "mkdirat");
  next(real_link, "link");
  next(real_linkat, "linkat");
  next(real_sync, "sync");
  next(real_syncfs, "syncfs");
  next(real_msync, "msync");
  attach_control();
  // A fork server's children (docs/wire-protocol.md) are forks, not new
  // programs: each attaches to the control file its server named for it.
  pthread_atfork(nullptr, nullptr, [] {
    pthread_mutex_init(&g_journal_mutex, nullptr);  // a thread of the parent may have held it
    const char* file = getenv(kControlFileEnv);
    if (file != nullptr && strncmp(file, g_attached, sizeof g_attached) != 0) attach_control();
  });
}

// A function this libc lacks: the call fails as the kernel would say.
template <class F>
bool missing(F f) {
  if (f != nullptr) return false;
  errno = ENOSYS;
  return true;
}

mode_t mode_of(int flags, va_list ap) {
  const bool has_mode = (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
  return has_mode ? static_cast<mode_t>(va_arg(ap, int)) : 0;
}

// ftruncate and ftruncate64: journalled when tracked (power loss).
template <class Real>
int ftruncate_like(int fd, off_t length, Real real) {
  const auto tracked = tracked_write(fd, 0);
  const int r = real(fd, length);
  if (tracked.block != nullptr && r == 0) {
    journal_append(*tracked.block, JournalKind::truncate, tracked.ino, static_cast<std::uint64_t>(length), nullptr, 0,
                   0, 0);
  }
  return r;
}

// truncate and truncate64: journalled when tracked (power loss).
template <class Real>
int truncate_like(const char* p, off_t length, Real real) {
  char path[kPathBytes];
  ControlBlock* b = tracked_path(AT_FDCWD, p, path, sizeof path);
  const int r = real(p, length);
  struct stat st {};
  if (b != nullptr && r == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
    journal_append(*b, JournalKind::truncate, static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(length),
                   nullptr, 0, 0, 0);
  }
  return r;
}

}  // namespace

extern "C" {

#define SINKKIT_EXPORT __attribute__((visibility("default")))

SINKKIT_EXPORT void* sinkkit_faults_control_block() {
  g_local_block.magic = kMagic;
  return g_block;
}

SINKKIT_EXPORT ssize_t write(int fd, const void* buf, size_t n) {
  auto real = next(real_write, "write");
  if (missing(real)) return -1;
  const auto tracked = tracked_write(fd, -1);
  const ssize_t r = write_like(
      fd, "write", n, [&] { return hash_bytes(kHashSeed, buf, n); }, [&](std::size_t k) { return real(fd, buf, k); });
  const struct iovec part{const_cast<void*>(buf), n};
  journal_write(tracked, &part, 1, r);
  return r;
}

SINKKIT_EXPORT ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  auto real = next(real_pwrite, "pwrite");
  if (missing(real)) return -1;
  const auto tracked = tracked_write(fd, off);
  const ssize_t r = write_like(
      fd, "pwrite", n, [&] { return hash_bytes(kHashSeed, buf, n); },
      [&](std::size_t k) { return real(fd, buf, k, off); });
  const struct iovec part{const_cast<void*>(buf), n};
  journal_write(tracked, &part, 1, r);
  return r;
}

SINKKIT_EXPORT ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) {
  auto real = next(real_pwrite64, "pwrite64");
  if (missing(real)) return -1;
  const auto tracked = tracked_write(fd, off);
  const ssize_t r = write_like(
      fd, "pwrite64", n, [&] { return hash_bytes(kHashSeed, buf, n); },
      [&](std::size_t k) { return real(fd, buf, k, off); });
  const struct iovec part{const_cast<void*>(buf), n};
  journal_write(tracked, &part, 1, r);
  return r;
}

}  // extern "C"

namespace {

std::uint64_t iov_hash(const struct iovec* iov, int count) {
  std::uint64_t h = kHashSeed;
  for (int i = 0; i < count; ++i) h = hash_bytes(h, iov[i].iov_base, iov[i].iov_len);
  return h;
}

// writev and the pwritev family: `real(iov, count)` writes an iovec array.
template <class Real>
ssize_t vector_write(int fd, const char* name, const struct iovec* iov, int count, Real real) {
  const std::size_t total = iov_total(iov, count);
  return write_like(
      fd, name, total, [&] { return iov_hash(iov, count); },
      [&](std::size_t k) {
        if (k == total) return real(iov, count);
        struct iovec part[64];
        return real(part, iov_prefix(iov, count, k, part));
      });
}

}  // namespace

extern "C" {

SINKKIT_EXPORT ssize_t writev(int fd, const struct iovec* iov, int count) {
  auto real = next(real_writev, "writev");
  if (missing(real)) return -1;
  const auto tracked = tracked_write(fd, -1);
  const ssize_t r = vector_write(fd, "writev", iov, count, [&](const struct iovec* v, int c) { return real(fd, v, c); });
  journal_write(tracked, iov, count, r);
  return r;
}

SINKKIT_EXPORT ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t off) {
  auto real = next(real_pwritev, "pwritev");
  if (missing(real)) return -1;
  const auto tracked = tracked_write(fd, off);
  const ssize_t r =
      vector_write(fd, "pwritev", iov, count, [&](const struct iovec* v, int c) { return real(fd, v, c, off); });
  journal_write(tracked, iov, count, r);
  return r;
}

SINKKIT_EXPORT ssize_t pwritev64(int fd, const struct iovec* iov, int count, off_t off) {
  auto real = next(real_pwritev64, "pwritev64");
  if (missing(real)) return -1;
  const auto tracked = tracked_write(fd, off);
  const ssize_t r =
      vector_write(fd, "pwritev64", iov, count, [&](const struct iovec* v, int c) { return real(fd, v, c, off); });
  journal_write(tracked, iov, count, r);
  return r;
}

SINKKIT_EXPORT int fsync(int fd) {
  auto real = next(real_fsync, "fsync");
  if (missing(real)) return -1;
  char path[kPathBytes];
  ControlBlock* b = aimed_fd(op_sync, fd, path, sizeof path);
  const int r = b == nullptr ? real(fd) : fail_or_call(b, Aim{op_sync, "fsync", fd, path}, [&] { return real(fd); });
  if (r == 0) journal_sync(fd);
  return r;
}

SINKKIT_EXPORT int fdatasync(int fd) {
  auto real = next(real_fdatasync, "fdatasync");
  if (missing(real)) return -1;
  char path[kPathBytes];
  ControlBlock* b = aimed_fd(op_sync, fd, path, sizeof path);
  const int r =
      b == nullptr ? real(fd) : fail_or_call(b, Aim{op_sync, "fdatasync", fd, path}, [&] { return real(fd); });
  if (r == 0) journal_sync(fd);
  return r;
}

SINKKIT_EXPORT int rename(const char* from, const char* to) {
  auto real = next(real_rename, "rename");
  if (missing(real)) return -1;
  return journal_two_names(JournalKind::rename, AT_FDCWD, from, AT_FDCWD, to, [&] {
    char path[kPathBytes];
    ControlBlock* b = aimed_path(op_rename, AT_FDCWD, to, path, sizeof path);
    if (b == nullptr) return real(from, to);
    return fail_or_call(b, Aim{op_rename, "rename", -1, path}, [&] { return real(from, to); });
  });
}

SINKKIT_EXPORT int renameat(int fromfd, const char* from, int tofd, const char* to) {
  auto real = next(real_renameat, "renameat");
  if (missing(real)) return -1;
  return journal_two_names(JournalKind::rename, fromfd, from, tofd, to, [&] {
    char path[kPathBytes];
    ControlBlock* b = aimed_path(op_rename, tofd, to, path, sizeof path);
    if (b == nullptr) return real(fromfd, from, tofd, to);
    return fail_or_call(b, Aim{op_rename, "renameat", -1, path}, [&] { return real(fromfd, from, tofd, to); });
  });
}

SINKKIT_EXPORT int renameat2(int fromfd, const char* from, int tofd, const char* to, unsigned flags) {
  auto real = next(real_renameat2, "renameat2");
  if (missing(real)) return -1;
  return journal_two_names(JournalKind::rename, fromfd, from, tofd, to, [&] {
    char path[kPathBytes];
    ControlBlock* b = aimed_path(op_rename, tofd, to, path, sizeof path);
    if (b == nullptr) return real(fromfd, from, tofd, to, flags);
    return fail_or_call(b, Aim{op_rename, "renameat2", -1, path},
                        [&] { return real(fromfd, from, tofd, to, flags); });
  });
}

// Only journalled (power loss), never failed: a sink's storage errors are
// the calls above.

SINKKIT_EXPORT int ftruncate(int fd, off_t length) {
  auto real = next(real_ftruncate, "ftruncate");
  if (missing(real)) return -1;
  return ftruncate_like(fd, length, real);
}

SINKKIT_EXPORT int ftruncate64(int fd, off_t length) {
  auto real = next(real_ftruncate64, "ftruncate64");
  if (missing(real)) return -1;
  return ftruncate_like(fd, length, real);
}

SINKKIT_EXPORT int truncate(const char* p, off_t length) {
  auto real = next(real_truncate, "truncate");
  if (missing(real)) return -1;
  return truncate_like(p, length, real);
}

SINKKIT_EXPORT int truncate64(const char* p, off_t length) {
  auto real = next(real_truncate64, "truncate64");
  if (missing(real)) return -1;
  return truncate_like(p, length, real);
}

SINKKIT_EXPORT int unlink(const char* p) {
  auto real = next(real_unlink, "unlink");
  if (missing(real)) return -1;
  return journal_name(JournalKind::unlink, AT_FDCWD, p, [&] { return real(p); });
}

SINKKIT_EXPORT int rmdir(const char* p) {
  auto real = next(real_rmdir, "rmdir");
  if (missing(real)) return -1;
  return journal_name(JournalKind::rmdir, AT_FDCWD, p, [&] { return real(p); });
}

SINKKIT_EXPORT int unlinkat(int dirfd, const char* p, int flags) {
  auto real = next(real_unlinkat, "unlinkat");
  if (missing(real)) return -1;
  return journal_name((flags & AT_REMOVEDIR) != 0 ? JournalKind::rmdir : JournalKind::unlink, dirfd, p,
                      [&] { return real(dirfd, p, flags); });
}

SINKKIT_EXPORT int mkdir(const char* p, mode_t mode) {
  auto real = next(real_mkdir, "mkdir");
  if (missing(real)) return -1;
  return journal_name(JournalKind::mkdir, AT_FDCWD, p, [&] { return real(p, mode); });
}

SINKKIT_EXPORT int mkdirat(int dirfd, const char* p, mode_t mode) {
  auto real = next(real_mkdirat, "mkdirat");
  if (missing(real)) return -1;
  return journal_name(JournalKind::mkdir, dirfd, p, [&] { return real(dirfd, p, mode); });
}

SINKKIT_EXPORT int link(const char* from, const char* to) {
  auto real = next(real_link, "link");
  if (missing(real)) return -1;
  return journal_two_names(JournalKind::link, AT_FDCWD, from, AT_FDCWD, to, [&] { return real(from, to); });
}

SINKKIT_EXPORT int linkat(int fromfd, const char* from, int tofd, const char* to, int flags) {
  auto real = next(real_linkat, "linkat");
  if (missing(real)) return -1;
  return journal_two_names(JournalKind::link, fromfd, from, tofd, to, [&] { return real(fromfd, from, tofd, to, flags); });
}

SINKKIT_EXPORT void sync() {
  auto real = next(real_sync, "sync");
  if (real != nullptr) real();
  if (ControlBlock* b = tracking_block()) journal_append(*b, JournalKind::syncall, 0, 0, nullptr, 0, 0, 0);
}

SINKKIT_EXPORT int syncfs(int fd) {
  auto real = next(real_syncfs, "syncfs");
  if (missing(real)) return -1;
  const int r = real(fd);
  if (ControlBlock* b = tracking_block(); b != nullptr && r == 0) {
    journal_append(*b, JournalKind::syncall, 0, 0, nullptr, 0, 0, 0);
  }
  return r;
}

// msync(MS_SYNC) of a shared mapping of a file under the root: the file's
// content is durable as it is now (its mapping is found in /proc/self/maps).
SINKKIT_EXPORT int msync(void* addr, size_t length, int flags) {
  auto real = next(real_msync, "msync");
  if (missing(real)) return -1;
  const int r = real(addr, length, flags);
  ControlBlock* b = tracking_block();
  if (b == nullptr || r != 0 || (flags & MS_SYNC) == 0) return r;
  char path[kPathBytes];
  if (mapped_file(addr, path, sizeof path) && under_root(path, *b)) {
    struct stat st {};
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
      journal_synced_file(*b, path, static_cast<std::uint64_t>(st.st_ino));
    }
  }
  return r;
}

SINKKIT_EXPORT int open(const char* p, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_of(flags, ap);
  va_end(ap);
  auto real = next(real_open, "open");
  if (missing(real)) return -1;
  return open_like("open", AT_FDCWD, p, flags, [&] { return real(p, flags, mode); });
}

SINKKIT_EXPORT int open64(const char* p, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_of(flags, ap);
  va_end(ap);
  auto real = next(real_open64, "open64");
  if (missing(real)) return -1;
  return open_like("open64", AT_FDCWD, p, flags, [&] { return real(p, flags, mode); });
}

SINKKIT_EXPORT int openat(int dirfd, const char* p, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_of(flags, ap);
  va_end(ap);
  auto real = next(real_openat, "openat");
  if (missing(real)) return -1;
  return open_like("openat", dirfd, p, flags, [&] { return real(dirfd, p, flags, mode); });
}

SINKKIT_EXPORT int openat64(int dirfd, const char* p, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_of(flags, ap);
  va_end(ap);
  auto real = next(real_openat64, "openat64");
  if (missing(real)) return -1;
  return open_like("openat64", dirfd, p, flags, [&] { return real(dirfd, p, flags, mode); });
}

SINKKIT_EXPORT int creat(const char* p, mode_t mode) {
  auto real = next(real_creat, "creat");
  if (missing(real)) return -1;
  return open_like("creat", AT_FDCWD, p, O_CREAT, [&] { return real(p, mode); });
}

SINKKIT_EXPORT int creat64(const char* p, mode_t mode) {
  auto real = next(real_creat64, "creat64");
  if (missing(real)) return -1;
  return open_like("creat64", AT_FDCWD, p, O_CREAT, [&] { return real(p, mode); });
}

}  // extern "C"
