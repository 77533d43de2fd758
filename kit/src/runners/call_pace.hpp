#pragma once
// How long a sink process may take for a call, from the calls it answered
// (runners/wire_sink.hpp: slow is not hung).
//
// Before any call hung, a call gets the call timeout, and a write_batch far
// larger than any answered gets what the sink's pace on the largest one
// predicts. Once a call has hung, the shrink steps that follow hang too: a
// build, write_batch or close then gets 20x the slowest answered call of its
// own kind and size (at least 1 s), so that a hung close costs what closes
// cost, not what the slowest write of a threaded run took. A read-back keeps
// the call timeout: its size is not known before it answers.
//
// What the pace learns of hangs and of each kind of call lives in memory
// shared with the processes forked after it was made: the checks a run makes
// in processes of their own, at once, learn from each other as they go.

#include <sys/mman.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sinkkit::detail {

class CallPace {
 public:
  /// The calls whose pace is kept apart.
  enum class Kind { build, write_batch, close, read_back, other };
  /// The kind of a request's "op".
  static Kind kind_of(std::string_view op) noexcept;

  struct Limit {
    std::chrono::milliseconds timeout;
    std::string basis;  // why not the call timeout; empty when it is
  };

  CallPace();
  ~CallPace();
  CallPace(const CallPace&) = delete;
  CallPace& operator=(const CallPace&) = delete;

  /// The time a call of `kind` with `batch_items` items (0 but for
  /// write_batch) may take.
  Limit limit(Kind kind, std::size_t batch_items, std::chrono::milliseconds call_timeout) const;
  /// A call answered after `took`, within `limit`.
  void answered(Kind kind, std::size_t batch_items, std::chrono::nanoseconds took,
                std::chrono::milliseconds call_timeout, const Limit& limit);
  /// A call hung: from now on, limits follow the pace (here and in every
  /// process sharing it).
  void timed_out() noexcept;

  /// The calls that were slow, not hung, since the last take.
  std::vector<std::string> take_notes();

 private:
  static constexpr int kKinds = 5;
  static constexpr int kBuckets = 33;  // by bit width of the batch size: 0 .. 32
  struct Shared {
    std::atomic<std::uint32_t> hung;
    // The slowest answered call per kind and size bucket, in ns (0: none).
    std::atomic<std::int64_t> slowest[kKinds][kBuckets];
  };
  static_assert(std::atomic<std::int64_t>::is_always_lock_free, "shared between processes");

  static int bucket_of(std::size_t items) noexcept;
  // The slowest answered call that predicts one of `kind` in `bucket`, scaled
  // to its size, and the size it was seen at; nothing when none of the kind.
  std::optional<std::pair<std::chrono::nanoseconds, int>> known(Kind kind, int bucket) const noexcept;

  Shared* shared_ = nullptr;  // mmap'd MAP_SHARED, or `local_` when that failed
  Shared local_{};

  mutable std::mutex mutex_;  // what is this process's own: the pace of large batches, the notes
  std::size_t largest_batch_ = 0;  // items of the largest write_batch answered
  std::chrono::nanoseconds largest_batch_took_{0};
  std::vector<std::string> notes_;
  int notes_dropped_ = 0;
};

}  // namespace sinkkit::detail
