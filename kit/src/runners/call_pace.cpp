#include "call_pace.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <new>
#include <utility>

namespace sinkkit::detail {

namespace {

constexpr double kPaceFactor = 4;
constexpr int kAfterHangFactor = 20;
constexpr std::chrono::milliseconds kShortestAfterHang{1000};
constexpr std::size_t kMaxNotes = 3;
constexpr int kMostTimesCallTimeout = 30;

template <class Duration>
std::chrono::milliseconds ceil_ms(Duration d) {
  return std::chrono::ceil<std::chrono::milliseconds>(d);
}

std::string_view kind_name(CallPace::Kind k) {
  switch (k) {
    case CallPace::Kind::build: return "build";
    case CallPace::Kind::write_batch: return "write_batch";
    case CallPace::Kind::close: return "close";
    case CallPace::Kind::read_back: return "read_back";
    case CallPace::Kind::other: return "request";
  }
  return "request";
}

void store_max(std::atomic<std::int64_t>& slot, std::int64_t value) noexcept {
  auto seen = slot.load(std::memory_order_relaxed);
  while (seen < value && !slot.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

}  // namespace

CallPace::Kind CallPace::kind_of(std::string_view op) noexcept {
  if (op == "build") return Kind::build;
  if (op == "write_batch") return Kind::write_batch;
  if (op == "close") return Kind::close;
  if (op == "read_back") return Kind::read_back;
  return Kind::other;
}

CallPace::CallPace() {
  void* p = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  // Without it the pace is this process's alone: hangs are learnt per check.
  shared_ = p == MAP_FAILED ? &local_ : new (p) Shared{};
}

CallPace::~CallPace() {
  if (shared_ != &local_) ::munmap(shared_, sizeof(Shared));
}

int CallPace::bucket_of(std::size_t items) noexcept {
  return std::min(kBuckets - 1, static_cast<int>(std::bit_width(items)));
}

std::optional<std::pair<std::chrono::nanoseconds, int>> CallPace::known(Kind kind, int bucket) const noexcept {
  const auto& row = shared_->slowest[static_cast<int>(kind)];
  // Its own size, else the nearest smaller one, scaled (2x a bucket): a
  // batch larger than any answered is not judged by small ones' pace alone.
  for (int b = bucket; b >= 0; --b) {
    if (const auto ns = row[b].load(std::memory_order_relaxed); ns > 0) {
      return std::pair{std::chrono::nanoseconds(ns << std::min(bucket - b, 20)), b};
    }
  }
  return std::nullopt;
}

CallPace::Limit CallPace::limit(Kind kind, std::size_t batch_items, std::chrono::milliseconds call_timeout) const {
  Limit l{call_timeout, ""};
  const int bucket = bucket_of(batch_items);
  // Only the protocol's calls are shortened: a read-back's size is not known
  // before it answers (one hang must not make a large one time out), nor a
  // hello's or another op's work.
  const bool shortened = kind == Kind::build || kind == Kind::write_batch || kind == Kind::close;
  if (shortened && shared_->hung.load(std::memory_order_acquire) != 0) {
    if (const auto seen = known(kind, bucket)) {
      const auto derived = std::max(kShortestAfterHang, ceil_ms(seen->first * kAfterHangFactor));
      if (derived < l.timeout) {
        const std::string size =
            kind == Kind::write_batch ? " of up to " + std::to_string((std::size_t{1} << seen->second) - 1) + " items"
                                      : "";
        l = Limit{derived, "a call hung earlier: " + std::to_string(kAfterHangFactor) + "x the slowest " +
                               std::string(kind_name(kind)) + size + " answered (" +
                               std::to_string(ceil_ms(seen->first).count()) + " ms), at least " +
                               std::to_string(kShortestAfterHang.count()) + " ms"};
      }
    }
  }
  std::lock_guard lock(mutex_);
  if (batch_items > 0 && largest_batch_ > 0) {
    const std::chrono::duration<double, std::milli> paced =
        largest_batch_took_ * (kPaceFactor * static_cast<double>(batch_items) / static_cast<double>(largest_batch_));
    // At most 30x the call timeout (compared as doubles: no overflow): a
    // hang on a batch far beyond its pace still fails the call (and is
    // shrunk), not the whole rule at its timeout.
    const auto capped =
        ceil_ms(std::min(paced, std::chrono::duration<double, std::milli>(call_timeout * kMostTimesCallTimeout)));
    if (capped > l.timeout) {
      l = Limit{capped, std::to_string(static_cast<int>(kPaceFactor)) + "x what its pace on a batch of " +
                            std::to_string(largest_batch_) + " items (" +
                            std::to_string(ceil_ms(largest_batch_took_).count()) + " ms) predicts for " +
                            std::to_string(batch_items)};
    }
  }
  return l;
}

void CallPace::answered(Kind kind, std::size_t batch_items, std::chrono::nanoseconds took,
                        std::chrono::milliseconds call_timeout, const Limit& limit) {
  store_max(shared_->slowest[static_cast<int>(kind)][bucket_of(batch_items)], std::max<std::int64_t>(1, took.count()));
  std::lock_guard lock(mutex_);
  if (batch_items > 0 && batch_items >= largest_batch_) {
    largest_batch_ = batch_items;
    largest_batch_took_ = took;
  }
  if (took <= call_timeout || limit.basis.empty()) return;
  if (notes_.size() >= kMaxNotes) {
    ++notes_dropped_;
    return;
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", std::chrono::duration<double>(took).count());
  notes_.push_back("slow, not hung: a write_batch of " + std::to_string(batch_items) + " items took " + secs +
                   " s, beyond the call timeout (" + std::to_string(call_timeout.count()) + " ms), within " +
                   limit.basis + "; --call-timeout-ms raises the limit");
}

void CallPace::timed_out() noexcept { shared_->hung.store(1, std::memory_order_release); }

std::vector<std::string> CallPace::take_notes() {
  std::lock_guard lock(mutex_);
  auto out = std::exchange(notes_, {});
  if (notes_dropped_ > 0) out.push_back("and " + std::to_string(notes_dropped_) + " more slow calls");
  notes_dropped_ = 0;
  return out;
}

}  // namespace sinkkit::detail
