#include "shared_findings.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>
#include <thread>

namespace sinkkit::detail {

// Open addressing on a hash of the signature: lock-free, so that a process
// killed mid-update (a rule's timeout) leaves the others working.
struct SharedFindingsBoard::Board {
  static constexpr std::size_t kSlots = 256;
  struct Slot {
    std::atomic<std::uint64_t> hash;   // 0: free
    std::atomic<std::uint32_t> ready;  // `rule` is written
    char rule[32];
  };
  Slot slots[kSlots];
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shared between processes");

namespace {

std::uint64_t hash_of(std::string_view s) {
  std::uint64_t h = 14695981039346656037ULL;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h | 1;  // never 0, the free slot's mark
}

}  // namespace

SharedFindingsBoard::SharedFindingsBoard() {
  void* p = ::mmap(nullptr, sizeof(Board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED) board_ = new (p) Board{};
}

SharedFindingsBoard::~SharedFindingsBoard() {
  if (board_ != nullptr) ::munmap(board_, sizeof(Board));
}

std::optional<std::string> SharedFindingsBoard::first_found_by(std::string_view signature, std::string_view rule) {
  if (board_ == nullptr) return std::nullopt;
  const std::uint64_t h = hash_of(signature);
  for (std::size_t i = 0; i < Board::kSlots; ++i) {
    auto& slot = board_->slots[(h + i) % Board::kSlots];
    std::uint64_t seen = 0;
    if (slot.hash.compare_exchange_strong(seen, h, std::memory_order_acq_rel)) {
      const auto n = std::min(rule.size(), sizeof slot.rule - 1);
      std::memcpy(slot.rule, rule.data(), n);
      slot.rule[n] = '\0';
      slot.ready.store(1, std::memory_order_release);
      return std::nullopt;  // the first: it shrinks
    }
    if (seen != h) continue;
    // Taken by another check a moment ago: its rule id follows at once (a
    // check killed in between leaves it unnamed; then this one shrinks).
    for (int spins = 0; slot.ready.load(std::memory_order_acquire) == 0; ++spins) {
      if (spins == 1000) return std::nullopt;
      std::this_thread::yield();
    }
    return std::string(slot.rule);
  }
  return std::nullopt;  // full: shrink
}

}  // namespace sinkkit::detail
