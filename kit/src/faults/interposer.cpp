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
#include <unistd.h>

#include <cstdint>

#include "control_block.hpp"

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

// The open family: only creating opens under the root are aimed at.
template <class Call>
int open_like(const char* name, int dirfd, const char* p, int flags, Call call) {
  if ((flags & O_CREAT) != 0) {
    char path[kPathBytes];
    if (ControlBlock* b = aimed_path(op_create, dirfd, p, path, sizeof path)) {
      return fail_or_call(b, Aim{op_create, name, -1, path}, call);
    }
  }
  return call();
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
  attach_control();
  // A fork server's children (docs/wire-protocol.md) are forks, not new
  // programs: each attaches to the control file its server named for it.
  pthread_atfork(nullptr, nullptr, [] {
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
  return write_like(
      fd, "write", n, [&] { return hash_bytes(kHashSeed, buf, n); }, [&](std::size_t k) { return real(fd, buf, k); });
}

SINKKIT_EXPORT ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  auto real = next(real_pwrite, "pwrite");
  if (missing(real)) return -1;
  return write_like(
      fd, "pwrite", n, [&] { return hash_bytes(kHashSeed, buf, n); },
      [&](std::size_t k) { return real(fd, buf, k, off); });
}

SINKKIT_EXPORT ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) {
  auto real = next(real_pwrite64, "pwrite64");
  if (missing(real)) return -1;
  return write_like(
      fd, "pwrite64", n, [&] { return hash_bytes(kHashSeed, buf, n); },
      [&](std::size_t k) { return real(fd, buf, k, off); });
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
  return vector_write(fd, "writev", iov, count, [&](const struct iovec* v, int c) { return real(fd, v, c); });
}

SINKKIT_EXPORT ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t off) {
  auto real = next(real_pwritev, "pwritev");
  if (missing(real)) return -1;
  return vector_write(fd, "pwritev", iov, count, [&](const struct iovec* v, int c) { return real(fd, v, c, off); });
}

SINKKIT_EXPORT ssize_t pwritev64(int fd, const struct iovec* iov, int count, off_t off) {
  auto real = next(real_pwritev64, "pwritev64");
  if (missing(real)) return -1;
  return vector_write(fd, "pwritev64", iov, count, [&](const struct iovec* v, int c) { return real(fd, v, c, off); });
}

SINKKIT_EXPORT int fsync(int fd) {
  auto real = next(real_fsync, "fsync");
  if (missing(real)) return -1;
  char path[kPathBytes];
  ControlBlock* b = aimed_fd(op_sync, fd, path, sizeof path);
  if (b == nullptr) return real(fd);
  return fail_or_call(b, Aim{op_sync, "fsync", fd, path}, [&] { return real(fd); });
}

SINKKIT_EXPORT int fdatasync(int fd) {
  auto real = next(real_fdatasync, "fdatasync");
  if (missing(real)) return -1;
  char path[kPathBytes];
  ControlBlock* b = aimed_fd(op_sync, fd, path, sizeof path);
  if (b == nullptr) return real(fd);
  return fail_or_call(b, Aim{op_sync, "fdatasync", fd, path}, [&] { return real(fd); });
}

SINKKIT_EXPORT int rename(const char* from, const char* to) {
  auto real = next(real_rename, "rename");
  if (missing(real)) return -1;
  char path[kPathBytes];
  ControlBlock* b = aimed_path(op_rename, AT_FDCWD, to, path, sizeof path);
  if (b == nullptr) return real(from, to);
  return fail_or_call(b, Aim{op_rename, "rename", -1, path}, [&] { return real(from, to); });
}

SINKKIT_EXPORT int renameat(int fromfd, const char* from, int tofd, const char* to) {
  auto real = next(real_renameat, "renameat");
  if (missing(real)) return -1;
  char path[kPathBytes];
  ControlBlock* b = aimed_path(op_rename, tofd, to, path, sizeof path);
  if (b == nullptr) return real(fromfd, from, tofd, to);
  return fail_or_call(b, Aim{op_rename, "renameat", -1, path}, [&] { return real(fromfd, from, tofd, to); });
}

SINKKIT_EXPORT int renameat2(int fromfd, const char* from, int tofd, const char* to, unsigned flags) {
  auto real = next(real_renameat2, "renameat2");
  if (missing(real)) return -1;
  char path[kPathBytes];
  ControlBlock* b = aimed_path(op_rename, tofd, to, path, sizeof path);
  if (b == nullptr) return real(fromfd, from, tofd, to, flags);
  return fail_or_call(b, Aim{op_rename, "renameat2", -1, path},
                      [&] { return real(fromfd, from, tofd, to, flags); });
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
