#pragma once
/// \file
/// `Simulator`: drives a sink node the way the loom/Bytewax runtime does, and
/// records every call in a `Trace`.
///
/// The model: `build_partition` runs once per worker (and per router branch),
/// eagerly, before any data. Each worker delivers an epoch's items in one or
/// more `write_batch` calls; within a worker the order is delivery order;
/// across workers there is none, but every write of epoch e returns before any
/// write of epoch e+1 starts. `close` is called on every built partition at
/// the end, also when nothing was written and also after a failed run: when
/// any call throws, the run aborts and every built partition is closed.
///
/// The scheduling core (builds, epochs, barriers, faults, trace events,
/// aborts) is compiled once in the kit (simulation/detail/simulator_core.hpp);
/// this header adds only the part typed on the payload: making items,
/// laying them out as a batch, and poisoning it after the call.
///
/// **Example**:
///
///     MySink node;
///     auto make_item = [](const sinkkit::ItemKey& k) { return Event{sinkkit::to_string(k), k.seq}; };
///     sinkkit::Simulator sim(node, {{"dir", "/tmp/t"}}, make_item, {.seed = 7});
///     sinkkit::Workload w = sinkkit::Workload::empty(2, 1, 3);  // 2 workers x 1 branch x 3 epochs
///     for (auto& cell : w.cells) cell = {4, 4};                 // two batches of 4 per worker and epoch
///     sinkkit::FaultPlan plan;
///     plan.close_calls = 2;                                     // close every partition twice
///     sinkkit::Trace trace = sim.run(w, plan);
///     // trace.events: builds, write_batches, closes; trace.aborted == false

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/any_partition.hpp>
#include <sinkkit/protocol/concepts.hpp>
#include <sinkkit/protocol/item_key.hpp>
#include <sinkkit/simulation/detail/simulator_core.hpp>
#include <sinkkit/simulation/fault_plan.hpp>
#include <sinkkit/simulation/simulator_options.hpp>
#include <sinkkit/simulation/trace.hpp>
#include <sinkkit/simulation/workload.hpp>

namespace sinkkit {

namespace detail {
// Sits in front of the payload in SubtypeOf, so the payload is not at offset 0.
struct SubtypeHeader {
  std::uint64_t canary = 0x5EED'CAFE'F00D'D00DULL;
  std::uint64_t spare = 0;
};
}  // namespace detail

inline namespace simulation {

/// A subtype of any (non-final class) payload `E`, with `E` as a non-first
/// base and extra bytes after it: the kit's probe of contravariant acceptance.
template <class E>
struct SubtypeOf : detail::SubtypeHeader, E {
  explicit SubtypeOf(E payload) : E(std::move(payload)) {}
  std::array<std::uint64_t, 3> trailer{0x7A11, 0x7A12, 0x7A13};
};

}  // namespace simulation

namespace detail {

// The typed half of one partition: its handle, the items of its calls, and
// how they are laid out (`Item` is the payload or `SubtypeOf` it).
template <class E, class Item, class MakeItem>
class TypedPartitionPort final : public PartitionPort {
 public:
  TypedPartitionPort(AnyPartition<E> partition, MakeItem& make_item, bool poison)
      : partition_(std::move(partition)), make_item_(make_item), poison_(poison) {}

  void write_batch(const TraceEvent& write) override {
    const auto call = static_cast<std::size_t>(write.call);
    const bool made = call < ahead_.size() && ahead_[call].size() == write.size;
    std::vector<Item>& items = made ? ahead_[call] : buffer_;
    if (!made) {
      items.clear();
      items.reserve(write.size);
      for (std::uint32_t i = 0; i < write.size; ++i) items.emplace_back(make_item_(write.key(i)));
    }
    try {
      partition_.write_batch(Batch<E>(items));
    } catch (...) {
      retire(items);  // also when the sink threw: it may have kept pointers either way
      throw;
    }
    retire(items);
  }

  void close() override { partition_.close(); }

  void make_items_ahead(const PartitionId& id, const std::vector<PlannedWrite>& writes) override {
    ahead_.reserve(writes.size());
    for (const auto& w : writes) {
      auto& items = ahead_.emplace_back();
      items.reserve(w.size);
      for (std::uint32_t i = 0; i < w.size; ++i) {
        items.emplace_back(make_item_(ItemKey{id.worker, id.branch, w.epoch, w.first_seq + i}));
      }
    }
  }

 private:
  // Poisons a batch after its call (if asked) and keeps its memory until the
  // port goes: a sink that kept pointers into it reads the poison in every
  // build, which SK-2.7 names, or the batch itself where the poison is off
  // (freed or reused memory would crash it under ASan, or hand it a later
  // batch's items: another finding in each rule). Items made ahead stay anyway.
  void retire(std::vector<Item>& items) {
    if constexpr (std::is_copy_assignable_v<E>) {
      if (poison_ && !items.empty()) {
        const E poison = make_item_(kPoisonKey);
        for (auto& item : items) static_cast<E&>(item) = poison;
      }
    }
    if (&items == &buffer_ && !buffer_.empty()) retired_.push_back(std::exchange(buffer_, {}));
  }

  AnyPartition<E> partition_;
  MakeItem& make_item_;
  bool poison_;
  std::vector<Item> buffer_;              // the items of the call in progress
  std::vector<std::vector<Item>> ahead_;  // items_made_ahead: the items of call i
  std::vector<std::vector<Item>> retired_;  // batches made in buffer_, kept (retire)
};

// The typed half of the node: builds partitions and picks their item layout.
template <IntoSink Node, class MakeItem>
class TypedNodePort final : public NodePort {
 public:
  using payload_type = payload_of<Node>;
  static constexpr bool kSubtypeViewPossible = std::is_class_v<payload_type> && !std::is_final_v<payload_type>;

  TypedNodePort(Node& node, const nlohmann::json& config, MakeItem& make_item, const SimulatorOptions& options)
      : node_(node), config_(config), make_item_(make_item), options_(options) {}

  [[nodiscard]] std::string name() const override { return std::string(std::string_view(node_.name)); }
  [[nodiscard]] bool router_branch_safe() const override { return Node::router_branch_safe; }
  [[nodiscard]] bool subtype_view_possible() const override { return kSubtypeViewPossible; }

  std::unique_ptr<PartitionPort> build(int worker_index, int worker_count) override {
    auto partition = build_any_partition(node_, config_, worker_index, worker_count, options_.bridge,
                                         options_.session_manager);
    if constexpr (kSubtypeViewPossible) {
      if (options_.view == PayloadView::subtype) {
        return std::make_unique<TypedPartitionPort<payload_type, SubtypeOf<payload_type>, MakeItem>>(
            std::move(partition), make_item_, options_.poison_batches);
      }
    }
    return std::make_unique<TypedPartitionPort<payload_type, payload_type, MakeItem>>(
        std::move(partition), make_item_, options_.poison_batches);
  }

 private:
  Node& node_;
  const nlohmann::json& config_;
  MakeItem& make_item_;
  const SimulatorOptions& options_;
};

}  // namespace detail

inline namespace simulation {

/// Drives `node` with workloads and fault plans. `make_item(key)` makes the
/// payload item for a key (the harness's `make_item`).
template <IntoSink Node, class MakeItem>
  requires std::is_invocable_r_v<payload_of<Node>, MakeItem&, const ItemKey&>
class Simulator {
 public:
  using payload_type = payload_of<Node>;

  Simulator(Node& node, nlohmann::json config, MakeItem make_item, SimulatorOptions options = {})
      : node_(node), config_(std::move(config)), make_item_(std::move(make_item)), options_(std::move(options)) {}

  /// Runs `workload` under `plan` and returns the trace. Throws
  /// `std::invalid_argument` for a workload or plan that does not fit (or
  /// branches > 1 on a node that is not router_branch_safe); everything the
  /// sink throws is recorded in the trace instead.
  Trace run(const Workload& workload, const FaultPlan& plan = {}) {
    detail::TypedNodePort<Node, MakeItem> port(node_, config_, make_item_, options_);
    return detail::run_simulation(port, options_, workload, plan);
  }

  [[nodiscard]] const SimulatorOptions& options() const noexcept { return options_; }

 private:
  Node& node_;
  nlohmann::json config_;
  MakeItem make_item_;
  SimulatorOptions options_;
};

}  // namespace simulation
}  // namespace sinkkit
