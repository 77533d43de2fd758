#pragma once
/// \file
/// `Shard`: one of N parts of a run (`sinkkit run --shard 2/3`,
/// `SINKKIT_SHARD=2/3` for a conformance program); `merge_shards`
/// (results/suite_result.hpp) makes the results of the N parts one result
/// again (`sinkkit report --merge`). Rule k of the catalogue (0-based) belongs to shard k mod N + 1,
/// whatever rules a run selects, so that every process of a shard, a CTest
/// test per rule included, agrees; with the same seed, N shards check what
/// one run checks, case for case.
///
/// **Example**:
///
///     const sinkkit::Shard s = sinkkit::parse_shard("2/3");  // throws std::invalid_argument on "0/3", "4/3", "2"
///     std::cout << sinkkit::to_string(s) << " holds rule 1: " << s.holds(1) << "\n";  // "2/3 holds rule 1: 1"

#include <cstddef>
#include <string>
#include <string_view>

namespace sinkkit {
inline namespace results {

struct Shard {
  int index = 1;  ///< 1-based
  int count = 1;  ///< 1: the whole run
  /// Whether the rule at `catalogue_position` (0-based) is this shard's.
  [[nodiscard]] bool holds(std::size_t catalogue_position) const noexcept {
    return static_cast<int>(catalogue_position % static_cast<std::size_t>(count)) == index - 1;
  }
  [[nodiscard]] bool whole() const noexcept { return count == 1; }
  friend bool operator==(const Shard&, const Shard&) = default;
};

/// "I/N" with 1 <= I <= N <= 10000; throws `std::invalid_argument` saying
/// what is wrong with `text`.
Shard parse_shard(std::string_view text);
/// "2/3".
std::string to_string(const Shard& s);

}  // namespace results
}  // namespace sinkkit
