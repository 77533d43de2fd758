#pragma once
/// \file
/// `Workload`: what the simulated runtime delivers. For every worker, router
/// branch and epoch, the sizes of the `write_batch` calls in delivery order.
/// Item keys follow from it: within one (worker, branch), `seq` counts items
/// in delivery order across epochs, so every item has a unique `ItemKey`.
///
/// **Example**:
///
///     sinkkit::WorkloadShape shape{.max_workers = 4, .max_epochs = 3, .max_batch_size = 64};
///     sinkkit::Workload w = sinkkit::make_workload(shape, /*seed=*/42);
///     for (std::uint32_t size : w.batches(0, 0, 1)) std::cout << size << " ";  // worker 0, branch 0, epoch 1
///     std::int64_t n = w.total_items();

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <sinkkit/protocol/item_key.hpp>

namespace sinkkit {
inline namespace simulation {

/// The largest worker count the kit simulates (the 1..64).
inline constexpr int kMaxWorkers = 64;

/// The batches a simulated runtime delivers.
struct Workload {
  int workers = 1;   ///< 1..kMaxWorkers
  int branches = 1;  ///< partitions per worker (router branches), >= 1
  int epochs = 0;    ///< >= 0 (a default workload has none: it is valid, and a trace of no run reads back)
  /// cells[cell_index(w, b, e)]: the batch sizes of that worker and branch in
  /// that epoch, in delivery order. A size of 0 is an empty batch.
  std::vector<std::vector<std::uint32_t>> cells;

  /// A workload of the given dimensions with no batches.
  static Workload empty(int workers, int branches, int epochs);

  [[nodiscard]] std::size_t cell_index(int worker, int branch, int epoch) const noexcept {
    return (static_cast<std::size_t>(worker) * static_cast<std::size_t>(branches) + static_cast<std::size_t>(branch)) *
               static_cast<std::size_t>(epochs) +
           static_cast<std::size_t>(epoch);
  }
  [[nodiscard]] const std::vector<std::uint32_t>& batches(int worker, int branch, int epoch) const {
    return cells.at(cell_index(worker, branch, epoch));
  }
  std::vector<std::uint32_t>& batches(int worker, int branch, int epoch) {
    return cells.at(cell_index(worker, branch, epoch));
  }
  /// Number of partitions (workers x branches).
  [[nodiscard]] int partitions() const noexcept { return workers * branches; }
  /// Every item of every batch.
  [[nodiscard]] std::int64_t total_items() const;
  /// The items one partition is handed over all epochs.
  [[nodiscard]] std::int64_t items(int worker, int branch) const;
  /// Number of write_batch calls.
  [[nodiscard]] std::int64_t total_batches() const;
  /// Largest batch.
  [[nodiscard]] std::uint32_t max_batch() const;

  /// Throws `std::invalid_argument` naming what is wrong (dimensions out of
  /// range, cells missing).
  void validate() const;
  /// One line: "3 workers x 1 branch x 4 epochs, 57 batches, 1234 items".
  [[nodiscard]] std::string summary() const;

  friend bool operator==(const Workload&, const Workload&) = default;

 private:
  void validate_dimensions_for_empty() const;
};

/// Bounds for generated workloads.
struct WorkloadShape {
  int min_workers = 1;
  int max_workers = 4;
  int branches = 1;
  int min_epochs = 1;
  int max_epochs = 4;
  int max_batches_per_epoch = 3;   ///< per (worker, branch, epoch); 1 = the loom contract
  std::uint32_t max_batch_size = 64;
  unsigned empty_batch_percent = 2;  ///< rare, as in Bytewax
  unsigned idle_percent = 10;        ///< a worker with no data in an epoch makes no call
};

/// A workload drawn from `shape` by a seed: the same seed gives the same
/// workload on every platform.
Workload make_workload(const WorkloadShape& shape, std::uint64_t seed);

void to_json(nlohmann::json& j, const Workload& w);
void from_json(const nlohmann::json& j, Workload& w);

}  // namespace simulation
}  // namespace sinkkit
