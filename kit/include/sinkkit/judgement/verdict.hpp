#pragma once
/// \file
/// `Verdict`: what the oracle concluded about one run. Jepsen-style counts per
/// partition and in total, the first offending items, and the violations of
/// what the sink's capabilities promise.
///
/// **Example**:
///
///     #include <sinkkit/judgement/oracle.hpp>
///     sinkkit::Verdict v = sinkkit::Oracle(caps).judge(trace, stored_keys);
///     if (!v.clean()) std::cerr << v.to_text();
///     // lost 3 of 120 acknowledged items; first: w0.b0.e1.s5 w0.b0.e1.s6 w0.b0.e1.s7
///     std::int64_t dups = v.total.duplicated;

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <sinkkit/protocol/item_key.hpp>
#include <sinkkit/simulation/fault_plan.hpp>

namespace sinkkit {
inline namespace judgement {

/// Item counts. Every count is of items (occurrences, for duplicated and
/// unexpected), never of batches.
struct Counts {
  std::int64_t attempted = 0;     ///< handed to the sink in a write_batch call
  std::int64_t acknowledged = 0;  ///< in a write_batch the sink returned from
  std::int64_t durable = 0;       ///< acknowledged and present in the read-back
  std::int64_t lost = 0;          ///< acknowledged, required to be durable, absent
  std::int64_t duplicated = 0;    ///< extra copies of attempted items in the read-back
  std::int64_t unexpected = 0;    ///< read-back items that were never attempted
  std::int64_t reordered = 0;     ///< items stored after an item written later (same partition)
  std::int64_t gaps = 0;          ///< acknowledged items absent although a later acknowledged one is durable

  Counts& operator+=(const Counts& o) noexcept;
  friend bool operator==(const Counts&, const Counts&) = default;
};

/// Names as in reports: {"attempted": .., "acknowledged": .., ...}.
void to_json(nlohmann::json& j, const Counts& c);
void from_json(const nlohmann::json& j, Counts& c);

/// Two items of one partition stored in the opposite order to their writing.
struct Inversion {
  ItemKey stored_first;   ///< written later, but stored first
  ItemKey stored_second;  ///< written earlier
  std::size_t position = 0;  ///< read-back index of `stored_second`
  friend bool operator==(const Inversion&, const Inversion&) = default;
};

/// An acknowledged item missing while a later acknowledged one is durable.
struct Gap {
  ItemKey missing;
  ItemKey durable_after;
  friend bool operator==(const Gap&, const Gap&) = default;
};

/// The kinds of broken promise. `corrupted` is never the oracle's (it
/// judges keys): the rules add it when stored items are not what was written
/// under their key, or when the sink's own reader cannot read its storage.
enum class ViolationKind { lost, duplicated, unexpected, reordered, gap, corrupted };
std::string_view to_string(ViolationKind k);

/// One broken promise, with a sentence that names the first offenders.
struct Violation {
  ViolationKind kind;
  std::string message;
};

/// One partition's judgement.
struct PartitionVerdict {
  PartitionId partition;
  Counts counts;
  std::vector<ItemKey> first_lost;
  std::vector<ItemKey> first_duplicated;
  std::vector<ItemKey> first_unexpected;
  std::optional<Inversion> first_inversion;
  std::optional<Gap> first_gap;
};

/// The judgement of one run.
struct Verdict {
  Counts total;
  std::vector<PartitionVerdict> partitions;  ///< every partition of the workload, in (worker, branch) order
  std::vector<ItemKey> first_unexpected;     ///< over the whole read-back (also those of no partition)
  std::vector<Violation> violations;

  /// True when the run kept every promise the capabilities make.
  [[nodiscard]] bool clean() const noexcept { return violations.empty(); }
  /// True when some violation is of `kind`.
  [[nodiscard]] bool has(ViolationKind kind) const noexcept;
  /// The partition's verdict (`partitions` is indexed by worker * branches + branch).
  [[nodiscard]] const PartitionVerdict& of(PartitionId p) const;
  /// Violations first, then totals, then the partitions that have anything to say.
  [[nodiscard]] std::string to_text() const;
  [[nodiscard]] nlohmann::json to_json() const;
  /// Reads what `to_json` wrote; throws `std::invalid_argument` (or a JSON
  /// error) naming what is malformed.
  static Verdict from_json(const nlohmann::json& j);
};

}  // namespace judgement
}  // namespace sinkkit
