#include "fault_control.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>

namespace sinkkit::detail::faults {

namespace {

std::uint32_t ops_of(StorageFaultKind kind) {
  switch (kind) {
    case StorageFaultKind::write_error: return op_write;
    case StorageFaultKind::sync_error: return op_sync;
    case StorageFaultKind::any_call:
    case StorageFaultKind::short_write:
    // A network kind aimed at files (a plan replayed on another sink): any call.
    case StorageFaultKind::connection_reset:
    case StorageFaultKind::stall:
    case StorageFaultKind::drop_requests:
    case StorageFaultKind::drop_replies: return op_write | op_sync | op_rename | op_create;
  }
  return 0;
}

// A path under the target root is shown relative to it: reports stay short
// and do not change from run to run.
std::string shown(const char* path, const std::filesystem::path& root) {
  const std::string p(path);
  const std::string r = root.string();
  if (!r.empty() && p.size() > r.size() && p.compare(0, r.size(), r) == 0 && p[r.size()] == '/') {
    return p.substr(r.size() + 1);
  }
  return p;
}

}  // namespace

void FaultControl::arm(const StorageFault& fault, const std::filesystem::path& root) {
  std::error_code ec;
  const auto given = std::filesystem::absolute(root, ec);
  const auto resolved = std::filesystem::weakly_canonical(root, ec);
  root_ = ec ? given : resolved;
  if (given.native().size() >= kPathBytes || root_.native().size() >= kPathBytes) {
    throw std::invalid_argument("storage faults: the target root is too long for the interposer: " + root.string());
  }
  ControlBlock& b = *block_;
  b.armed.store(0, std::memory_order_release);
  b.ops = ops_of(fault.kind);
  b.error = fault.error;
  b.short_write = fault.kind == StorageFaultKind::short_write ? 1 : 0;
  b.skip.store(fault.skip, std::memory_order_relaxed);
  copy_into(b.root, sizeof b.root, given.string());
  copy_into(b.resolved_root, sizeof b.resolved_root, root_.string());
  b.short_done.store(0, std::memory_order_relaxed);
  b.retried.store(0, std::memory_order_relaxed);
  b.short_written.store(0, std::memory_order_relaxed);
  b.short_asked.store(0, std::memory_order_relaxed);
  b.fired_op = 0;
  b.fired_fd = -1;
  b.fired_bytes = b.fired_hash = 0;
  b.fired_call[0] = '\0';
  b.fired_path[0] = '\0';
  b.state.store(idle, std::memory_order_release);
  b.armed.store(1, std::memory_order_release);
}

std::optional<FiredStorageFault> FaultControl::disarm() {
  ControlBlock& b = *block_;
  b.armed.store(0, std::memory_order_release);
  // Closed from here on, also for a call already past the armed check; one
  // that is filling in its report is waited for.
  std::uint32_t was = b.state.exchange(closed, std::memory_order_acq_rel);
  while (was == firing) {  // its thread stores `fired` when the report is complete
    std::this_thread::yield();
    if (b.state.load(std::memory_order_acquire) == fired) {
      was = fired;
      b.state.store(closed, std::memory_order_release);
    }
  }
  const bool fired_error = was == fired;
  const std::uint64_t short_asked = b.short_asked.exchange(0, std::memory_order_acq_rel);  // reported once
  if (!fired_error && short_asked == 0) return std::nullopt;
  FiredStorageFault f;
  f.call = b.fired_call;
  f.path = shown(b.fired_path, root_);
  f.error = fired_error ? b.error : 0;
  f.short_asked = short_asked;
  f.short_written = b.short_written.load(std::memory_order_acquire);
  f.retried = b.retried.load(std::memory_order_acquire) != 0;
  return f;
}

ControlFile::ControlFile(std::filesystem::path file) : path_(std::move(file)) {
  const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create the fault control file " + path_.string() + ": " + std::strerror(errno));
  if (::ftruncate(fd, sizeof(ControlBlock)) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("cannot size the fault control file " + path_.string() + ": " + std::strerror(err));
  }
  void* p = ::mmap(nullptr, sizeof(ControlBlock), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) throw std::runtime_error("cannot map the fault control file " + path_.string() + ": " + std::strerror(err));
  block_ = new (p) ControlBlock{};
  block_->magic = kMagic;
}

ControlFile::~ControlFile() {
  if (block_ != nullptr) ::munmap(block_, sizeof(ControlBlock));
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

InterposerInjector::InterposerInjector(std::function<ControlBlock*(PartitionId)> block_of, std::filesystem::path root)
    : block_of_(std::move(block_of)), root_(std::move(root)) {}

void InterposerInjector::arm(PartitionId p, const StorageFault& fault) {
  ControlBlock* block = block_of_(p);
  if (block == nullptr) return;  // no process for it: nothing to fail
  armed_.emplace(block);
  armed_->arm(fault, root_);
}

std::optional<FiredStorageFault> InterposerInjector::disarm(PartitionId) {
  if (!armed_) return std::nullopt;
  auto fired = armed_->disarm();
  armed_.reset();
  return fired;
}

ControlBlock* in_process_block() {
  using get_fn = void* (*)();
  static ControlBlock* const block = [] {
    auto get = reinterpret_cast<get_fn>(::dlsym(RTLD_DEFAULT, kControlSymbol));
    return get == nullptr ? nullptr : static_cast<ControlBlock*>(get());
  }();
  return block;
}

std::optional<std::filesystem::path> interposer_library() {
  std::error_code ec;
  if (const char* env = std::getenv("SINKKIT_FAULTS_LIBRARY"); env != nullptr && env[0] != '\0') {
    if (std::filesystem::exists(env, ec)) return std::filesystem::path(env);
    return std::nullopt;
  }
  // Beside the running program first (an installed `sinkkit`), then the
  // build tree this kit was built in.
#ifdef SINKKIT_FAULTS_LIBRARY_FROM_BIN
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = (exe.parent_path() / SINKKIT_FAULTS_LIBRARY_FROM_BIN).lexically_normal();
    if (std::filesystem::exists(installed, ec)) return installed;
  }
#endif
#ifdef SINKKIT_FAULTS_LIBRARY_BUILD
  if (std::filesystem::exists(SINKKIT_FAULTS_LIBRARY_BUILD, ec)) return std::filesystem::path(SINKKIT_FAULTS_LIBRARY_BUILD);
#endif
  return std::nullopt;
}

}  // namespace sinkkit::detail::faults
