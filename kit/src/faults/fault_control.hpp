#pragma once
// The kit's side of the storage-fault interposer (interposer.cpp): arms a
// fault in a control block and reads back what fired.

#include <filesystem>
#include <functional>
#include <optional>

#include <sinkkit/simulation/fault_plan.hpp>
#include <sinkkit/simulation/storage_fault_injector.hpp>
#include <sinkkit/simulation/trace.hpp>

#include "control_block.hpp"

namespace sinkkit::detail::faults {

/// Arms and disarms one control block.
class FaultControl {
 public:
  explicit FaultControl(ControlBlock* block) noexcept : block_(block) {}
  /// Aims `fault` at storage calls on files under `root` until `disarm`.
  void arm(const StorageFault& fault, const std::filesystem::path& root);
  /// Ends the window; what failed in it (a short write alone counts).
  std::optional<FiredStorageFault> disarm();

 private:
  ControlBlock* block_;
  std::filesystem::path root_;
};

/// The simulator's injector over the interposer: `block_of(p)` is the
/// control block of the process that hosts partition `p` (nullptr: none).
/// One window at a time.
class InterposerInjector final : public StorageFaultInjector {
 public:
  InterposerInjector(std::function<ControlBlock*(PartitionId)> block_of, std::filesystem::path root);
  void arm(PartitionId p, const StorageFault& fault) override;
  std::optional<FiredStorageFault> disarm(PartitionId p) override;

 private:
  std::function<ControlBlock*(PartitionId)> block_of_;
  std::filesystem::path root_;
  std::optional<FaultControl> armed_;
};

/// A control file for one sink process, mapped here; the process maps it too
/// when its environment names it (kControlFileEnv). Removed on destruction.
class ControlFile {
 public:
  explicit ControlFile(std::filesystem::path file);
  ~ControlFile();
  ControlFile(const ControlFile&) = delete;
  ControlFile& operator=(const ControlFile&) = delete;
  [[nodiscard]] ControlBlock* block() const noexcept { return block_; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  /// The pid of the process that mapped it (its interposer loaded), or 0.
  [[nodiscard]] int attached_pid() const noexcept { return block_->attached_pid.load(std::memory_order_acquire); }

 private:
  std::filesystem::path path_;
  ControlBlock* block_ = nullptr;
};

/// The interposer's block in this process, or nullptr when it is not loaded.
ControlBlock* in_process_block();

/// The interposer library for sink processes: $SINKKIT_FAULTS_LIBRARY, else
/// the one installed beside the running program (<prefix>/bin ->
/// <prefix>/<libdir>), else the build tree's; nullopt when none exists.
std::optional<std::filesystem::path> interposer_library();

}  // namespace sinkkit::detail::faults
