#pragma once
/// \file
/// `detail::Rng`: the kit's own small PRNG (splitmix64). The standard
/// distributions differ between library implementations, so anything that
/// must replay "byte for byte" from a seed draws from this instead.

#include <cstdint>

namespace sinkkit::detail {

// GCC and Clang have it; __extension__ keeps -Wpedantic quiet about it.
__extension__ typedef unsigned __int128 Uint128;

/// splitmix64: tiny, fast, and the same sequence on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) noexcept : state_(seed) {}

  /// The next 64 random bits.
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, bound) (bound > 0), by Lemire's multiply-shift; the tiny
  /// bias is irrelevant for scheduling and workload shapes.
  std::uint64_t below(std::uint64_t bound) noexcept {
    return static_cast<std::uint64_t>((static_cast<Uint128>(next()) * bound) >> 64);
  }

  /// Uniform in [lo, hi] (lo <= hi).
  std::int64_t between(std::int64_t lo, std::int64_t hi) noexcept {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  /// True with probability `percent`/100.
  bool chance(unsigned percent) noexcept { return below(100) < percent; }

 private:
  std::uint64_t state_;
};

}  // namespace sinkkit::detail
