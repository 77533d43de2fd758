#include <sinkkit/simulation/workload.hpp>

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/json_integer.hpp>
#include <sinkkit/detail/rng.hpp>

namespace sinkkit {
inline namespace simulation {

Workload Workload::empty(int workers, int branches, int epochs) {
  Workload w;
  w.workers = workers;
  w.branches = branches;
  w.epochs = epochs;
  w.validate_dimensions_for_empty();
  w.cells.resize(static_cast<std::size_t>(workers) * static_cast<std::size_t>(branches) *
                 static_cast<std::size_t>(epochs));
  return w;
}

std::int64_t Workload::total_items() const {
  std::int64_t n = 0;
  for (const auto& cell : cells)
    for (auto size : cell) n += size;
  return n;
}

std::int64_t Workload::items(int worker, int branch) const {
  std::int64_t n = 0;
  for (int e = 0; e < epochs; ++e)
    for (auto size : batches(worker, branch, e)) n += size;
  return n;
}

std::int64_t Workload::total_batches() const {
  std::int64_t n = 0;
  for (const auto& cell : cells) n += static_cast<std::int64_t>(cell.size());
  return n;
}

std::uint32_t Workload::max_batch() const {
  std::uint32_t m = 0;
  for (const auto& cell : cells)
    for (auto size : cell) m = std::max(m, size);
  return m;
}

void Workload::validate_dimensions_for_empty() const {
  if (workers < 1 || workers > kMaxWorkers) {
    throw std::invalid_argument("workload: workers must be in [1, " + std::to_string(kMaxWorkers) + "], got " +
                                std::to_string(workers));
  }
  if (branches < 1) throw std::invalid_argument("workload: branches must be >= 1, got " + std::to_string(branches));
  if (epochs < 0) throw std::invalid_argument("workload: epochs must be >= 0, got " + std::to_string(epochs));
}

void Workload::validate() const {
  validate_dimensions_for_empty();
  // Checked: a saved trace's dimensions are anyone's numbers, and a product
  // that wrapped could match a few cells and then be looped over.
  std::size_t expected = 0;
  if (__builtin_mul_overflow(static_cast<std::size_t>(workers), static_cast<std::size_t>(branches), &expected) ||
      __builtin_mul_overflow(expected, static_cast<std::size_t>(epochs), &expected)) {
    throw std::invalid_argument("workload: " + std::to_string(workers) + " workers x " + std::to_string(branches) +
                                " branches x " + std::to_string(epochs) + " epochs is too large");
  }
  if (cells.size() != expected) {
    throw std::invalid_argument("workload: " + std::to_string(cells.size()) + " cells for " +
                                std::to_string(workers) + " workers x " + std::to_string(branches) +
                                " branches x " + std::to_string(epochs) + " epochs (expected " +
                                std::to_string(expected) + ")");
  }
}

std::string Workload::summary() const {
  auto plural = [](std::int64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  return plural(workers, "worker", "workers") + " x " + plural(branches, "branch", "branches") + " x " +
         plural(epochs, "epoch", "epochs") + ", " + plural(total_batches(), "batch", "batches") + ", " +
         plural(total_items(), "item", "items");
}

Workload make_workload(const WorkloadShape& shape, std::uint64_t seed) {
  if (shape.min_workers > shape.max_workers || shape.min_epochs > shape.max_epochs ||
      shape.max_batches_per_epoch < 1) {
    throw std::invalid_argument("workload shape: a minimum exceeds its maximum, or no batches are allowed");
  }
  detail::Rng rng(seed);
  auto workers = static_cast<int>(rng.between(shape.min_workers, shape.max_workers));
  auto epochs = static_cast<int>(rng.between(shape.min_epochs, shape.max_epochs));
  Workload w = Workload::empty(workers, shape.branches, epochs);
  for (auto& cell : w.cells) {
    auto count = rng.chance(shape.idle_percent) ? 0 : rng.between(1, shape.max_batches_per_epoch);
    for (std::int64_t i = 0; i < count; ++i) {
      bool empty = rng.chance(shape.empty_batch_percent);
      cell.push_back(empty ? 0u : static_cast<std::uint32_t>(rng.between(1, std::max<std::uint32_t>(shape.max_batch_size, 1))));
    }
  }
  return w;
}

void to_json(nlohmann::json& j, const Workload& w) {
  j = nlohmann::json{{"workers", w.workers}, {"branches", w.branches}, {"epochs", w.epochs}, {"cells", w.cells}};
}

void from_json(const nlohmann::json& j, Workload& w) {
  w.workers = detail::json_integer_at<int>(j, "workers");
  w.branches = detail::json_integer_at<int>(j, "branches");
  w.epochs = detail::json_integer_at<int>(j, "epochs");
  const auto& cells = j.at("cells");
  if (!cells.is_array()) throw std::invalid_argument("workload: cells is not an array");
  w.cells.clear();
  for (const auto& cell : cells) {
    if (!cell.is_array()) throw std::invalid_argument("workload: a cell is not an array of batch sizes");
    auto& sizes = w.cells.emplace_back();
    for (const auto& size : cell) sizes.push_back(detail::json_integer<std::uint32_t>(size, "workload: batch size"));
  }
  w.validate();
}

}  // namespace simulation
}  // namespace sinkkit
