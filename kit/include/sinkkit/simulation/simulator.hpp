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
/// **Example**:
///
///     sinkkit::sinks::MemorySink<Event> node;
///     auto make_item = [](const sinkkit::ItemKey& k) { return Event{sinkkit::to_string(k), k.seq}; };
///     sinkkit::Simulator sim(node, {{"target", "t"}}, make_item, {.seed = 7});
///     sinkkit::Trace trace = sim.run(sinkkit::make_workload({}, 7), sinkkit::FaultPlan{});
///     // trace.events: builds, write_batches, closes; trace.aborted == false

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/demangle.hpp>
#include <sinkkit/detail/rng.hpp>
#include <sinkkit/protocol/any_partition.hpp>
#include <sinkkit/protocol/async_bridge.hpp>
#include <sinkkit/protocol/concepts.hpp>
#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/protocol/item_key.hpp>
#include <sinkkit/simulation/fault_plan.hpp>
#include <sinkkit/simulation/trace.hpp>
#include <sinkkit/simulation/workload.hpp>

namespace sinkkit {
inline namespace simulation {

/// How the simulator lays out the items it hands to `write_batch`.
enum class PayloadView {
  exact,    ///< a plain array of the payload type
  subtype,  ///< an array of `SubtypeOf<payload>`: the payload at a non-zero offset, larger stride
};

}  // namespace simulation

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

/// Knobs of a simulated run.
struct SimulatorOptions {
  ExecutionMode mode = ExecutionMode::deterministic;
  /// Draws the interleaving (deterministic mode) and nothing else.
  std::uint64_t seed = 0;
  PayloadView view = PayloadView::exact;
  /// Overwrite each batch's memory with `kPoisonKey` items once write_batch
  /// returns, so a sink that kept pointers into it stores garbage visibly.
  bool poison_batches = true;
  /// The first seq of every partition: a second run on the same target
  /// (rescaling, restart after a crash) starts past the first run's keys.
  std::int64_t first_seq = 0;
  AsyncBridge* bridge = nullptr;
  void* session_manager = nullptr;
  /// Arms a storage fault in the sink's storage (the harness's hook). Called
  /// right after the partition's build succeeded. Required when the plan has
  /// storage faults.
  std::function<void(PartitionId, std::int64_t after_items)> arm_storage_fault;
  /// Called after every acknowledged write_batch (from the worker's thread in
  /// threaded mode, so it must be thread-safe there): lets a rule read back
  /// mid-run.
  std::function<void(const TraceEvent&)> after_write;
  /// Called right before the sink is handed a write_batch (not for writes the
  /// plan fails before forwarding): lets a crash test know what the sink may
  /// have stored when the process dies.
  std::function<void(const TraceEvent&)> before_write;
  /// Called after every close call, from the closing thread: lets a rule
  /// check what must hold the moment close returns.
  std::function<void(const TraceEvent&)> after_close;
  /// Make every batch's items when the run is set up, before the first call,
  /// instead of right before each write_batch: the calls then cost what the
  /// protocol costs, which is what the benchmarks compare against a plain
  /// loop over prebuilt batches. Holds every item of the run in memory.
  bool items_made_ahead = false;
};

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
    validate(workload, plan);
    Run state(*this, workload, plan);
    if (options_.mode == ExecutionMode::deterministic) {
      state.run_deterministic();
    } else {
      state.run_threaded();
    }
    return state.finish();
  }

  [[nodiscard]] const SimulatorOptions& options() const noexcept { return options_; }

 private:
  void validate(const Workload& workload, const FaultPlan& plan) const {
    workload.validate();
    plan.validate(workload.workers, workload.branches);
    if (workload.branches > 1 && !Node::router_branch_safe) {
      throw std::invalid_argument("simulator: node '" + std::string(std::string_view(node_.name)) +
                                  "' is not router_branch_safe, but the workload has " +
                                  std::to_string(workload.branches) + " branches per worker");
    }
    if (!plan.storage_faults.empty() && !options_.arm_storage_fault) {
      throw std::invalid_argument("simulator: the fault plan has storage faults but no arm_storage_fault hook");
    }
    if constexpr (!kSubtypeViewPossible) {
      if (options_.view == PayloadView::subtype) {
        throw std::invalid_argument("simulator: a subtype view needs a non-final class payload");
      }
    }
  }

  static constexpr bool kSubtypeViewPossible = std::is_class_v<payload_type> && !std::is_final_v<payload_type>;
  static constexpr bool kCanPoison = std::is_copy_assignable_v<payload_type>;

  // One partition of the run.
  struct Slot {
    PartitionId id;
    AnyPartition<payload_type> partition;
    bool built = false;
    bool no_writes = false;
    int write_calls = 0;
    std::int64_t next_seq = 0;
    // items_made_ahead: the items of write call i, in call order.
    std::vector<std::vector<payload_type>> ahead_exact;
    std::vector<std::vector<SubtypeOf<payload_type>>> ahead_subtype;
  };

  // What one thread of execution needs: its item buffers and its events.
  struct Lane {
    std::vector<payload_type> exact;
    std::vector<SubtypeOf<payload_type>> subtype;  // only used when possible
    std::vector<TraceEvent> events;
  };

  // One run's state; the Simulator itself stays reusable and const during it.
  class Run {
   public:
    Run(Simulator& sim, const Workload& workload, const FaultPlan& plan)
        : sim_(sim), workload_(workload), plan_(plan), start_(std::chrono::steady_clock::now()) {
      slots_.resize(static_cast<std::size_t>(workload.partitions()));
      for (int w = 0; w < workload.workers; ++w) {
        for (int b = 0; b < workload.branches; ++b) {
          auto& slot = slot_of(w, b);
          slot.id = PartitionId{w, b};
          slot.no_writes = std::find(plan.no_writes.begin(), plan.no_writes.end(), slot.id) != plan.no_writes.end();
          slot.next_seq = sim.options_.first_seq;
        }
      }
    }

    void run_deterministic() {
      detail::Rng rng(sim_.options_.seed);
      Lane lane;
      if (sim_.options_.items_made_ahead) {
        for (auto& slot : slots_) make_items_ahead(slot);
      }
      // Builds, eagerly, in a seeded order; the first failure aborts the rest.
      std::vector<std::size_t> order(slots_.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      shuffle(order, rng);
      for (auto i : order) {
        if (aborted()) break;
        build(slots_[i], lane);
      }
      // Epochs: within one, the next call comes from a seeded pick among the
      // partitions that still have batches; all of epoch e before any of e+1.
      for (int e = 0; e < workload_.epochs && !aborted(); ++e) {
        std::vector<std::pair<std::size_t, std::size_t>> pending;  // (slot, next batch)
        for (std::size_t i = 0; i < slots_.size(); ++i) {
          if (!slots_[i].no_writes && !batches_of(slots_[i], e).empty()) pending.emplace_back(i, 0);
        }
        while (!pending.empty() && !aborted()) {
          auto pick = static_cast<std::size_t>(rng.below(pending.size()));
          auto& [slot_index, batch] = pending[pick];
          auto& slot = slots_[slot_index];
          write(slot, e, batches_of(slot, e)[batch], lane);
          if (++batch == batches_of(slot, e).size()) {
            pending[pick] = pending.back();
            pending.pop_back();
          }
        }
        end_of_epoch(e);
      }
      shuffle(order, rng);
      for (auto i : order) close_all(slots_[i], lane);
      events_ = std::move(lane.events);
    }

    void run_threaded() {
      const int workers = workload_.workers;
      std::barrier sync(workers);
      // A barrier of one waits for no one but still costs a futex wake per
      // phase (microseconds on a VM): skip it, so that one worker's run costs
      // what its calls cost.
      const bool alone = workers == 1;
      std::vector<Lane> lanes(static_cast<std::size_t>(workers));
      std::vector<std::thread> threads;
      threads.reserve(static_cast<std::size_t>(workers));
      for (int w = 0; w < workers; ++w) {
        threads.emplace_back([this, w, alone, &sync, &lanes] {
          Lane& lane = lanes[static_cast<std::size_t>(w)];
          // On the worker's own thread, as the runtime's upstream would make them.
          if (sim_.options_.items_made_ahead) {
            for (int b = 0; b < workload_.branches; ++b) make_items_ahead(slot_of(w, b));
          }
          for (int b = 0; b < workload_.branches; ++b) {
            if (!aborted()) build(slot_of(w, b), lane);
          }
          if (!alone) sync.arrive_and_wait();  // every partition is built before any data
          detail::Rng rng(sim_.options_.seed ^ (0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(w + 1)));
          for (int e = 0; e < workload_.epochs; ++e) {
            if (aborted()) {
              if (!alone) sync.arrive_and_drop();  // later epochs' barriers stop waiting for this worker
              break;
            }
            write_epoch_of_worker(w, e, rng, lane);
            if (!alone) sync.arrive_and_wait();  // backpressure: epoch e is done everywhere
            if (w == 0) end_of_epoch(e);
            if (!alone) sync.arrive_and_wait();  // everyone sees the abort decision of epoch e
          }
          for (int b = 0; b < workload_.branches; ++b) close_all(slot_of(w, b), lane);
        });
      }
      for (auto& t : threads) t.join();
      for (auto& lane : lanes) {
        events_.insert(events_.end(), std::make_move_iterator(lane.events.begin()),
                       std::make_move_iterator(lane.events.end()));
      }
      std::sort(events_.begin(), events_.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
    }

    Trace finish() {
      Trace t;
      t.mode = sim_.options_.mode;
      t.seed = sim_.options_.seed;
      t.workload = workload_;
      t.plan = plan_;
      t.events = std::move(events_);
      t.aborted = aborted();
      t.abort_reason = abort_reason_;
      return t;
    }

   private:
    Slot& slot_of(int worker, int branch) {
      return slots_[static_cast<std::size_t>(worker * workload_.branches + branch)];
    }
    const std::vector<std::uint32_t>& batches_of(const Slot& slot, int epoch) const {
      return workload_.batches(slot.id.worker, slot.id.branch, epoch);
    }

    // The keys of a partition's writes follow from the workload alone: call
    // by call, epoch by epoch, seqs counting up from first_seq.
    void make_items_ahead(Slot& slot) {
      std::int64_t seq = slot.next_seq;
      for (int e = 0; e < workload_.epochs; ++e) {
        for (std::uint32_t size : batches_of(slot, e)) {
          auto key = [&](std::uint32_t i) { return ItemKey{slot.id.worker, slot.id.branch, e, seq + i}; };
          if (sim_.options_.view == PayloadView::subtype) {
            if constexpr (kSubtypeViewPossible) {
              auto& items = slot.ahead_subtype.emplace_back();
              items.reserve(size);
              for (std::uint32_t i = 0; i < size; ++i) items.emplace_back(sim_.make_item_(key(i)));
            }
          } else {
            auto& items = slot.ahead_exact.emplace_back();
            items.reserve(size);
            for (std::uint32_t i = 0; i < size; ++i) items.emplace_back(sim_.make_item_(key(i)));
          }
          seq += size;
        }
      }
    }

    static void shuffle(std::vector<std::size_t>& v, detail::Rng& rng) {
      for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<std::size_t>(rng.below(i))]);
    }

    // One worker's share of an epoch: its branches' batches, interleaved by a
    // seeded pick (branches of one worker share its thread).
    void write_epoch_of_worker(int w, int e, detail::Rng& rng, Lane& lane) {
      std::vector<std::pair<Slot*, std::size_t>> pending;
      for (int b = 0; b < workload_.branches; ++b) {
        auto& slot = slot_of(w, b);
        if (slot.built && !slot.no_writes && !batches_of(slot, e).empty()) pending.emplace_back(&slot, 0);
      }
      while (!pending.empty() && !aborted()) {
        auto pick = static_cast<std::size_t>(rng.below(pending.size()));
        auto& [slot, batch] = pending[pick];
        write(*slot, e, batches_of(*slot, e)[batch], lane);
        if (++batch == batches_of(*slot, e).size()) {
          pending[pick] = pending.back();
          pending.pop_back();
        }
      }
    }

    void end_of_epoch(int e) {
      if (plan_.abort_after_epoch && *plan_.abort_after_epoch == e) {
        abort("the fault plan aborts the run after epoch " + std::to_string(e));
      }
    }

    TraceEvent begin_event(CallKind kind, const Slot& slot) {
      TraceEvent ev;
      ev.kind = kind;
      ev.partition = slot.id;
      ev.index = next_index_.fetch_add(1);
      ev.start = now(ev.index, false);
      return ev;
    }

    void end_event(TraceEvent& ev, Lane& lane) {
      ev.end = now(ev.index, true);
      lane.events.push_back(std::move(ev));
    }

    // Threaded: ns since the run started. Deterministic: logical ticks from
    // the event index, so the same seed gives the same trace byte for byte.
    std::int64_t now(std::uint64_t index, bool end) const {
      if (sim_.options_.mode == ExecutionMode::deterministic) return static_cast<std::int64_t>(index * 2 + (end ? 1 : 0));
      return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_).count();
    }

    // Calls `fn` and records how the sink ended it.
    template <class F>
    static void call_sink(TraceEvent& ev, F&& fn) {
      auto fail = [&ev](const char* kind, std::string message) {
        ev.sink_outcome = ev.outcome = Outcome::threw;
        ev.error_kind = kind;
        ev.message = std::move(message);
      };
      try {
        fn();
        ev.sink_outcome = Outcome::ok;
      } catch (const RemoteError& e) {
        fail(e.kind().c_str(), e.what());
      } catch (const ConfigError& e) {
        fail("config", e.what());
      } catch (const ClosedError& e) {
        fail("closed", e.what());
      } catch (const SinkError& e) {
        fail("write", e.what());
      } catch (const BridgeError& e) {
        fail("bridge", e.what());
      } catch (const std::invalid_argument& e) {
        fail("invalid_argument", e.what());
      } catch (const std::exception& e) {
        fail("other", detail::type_name(typeid(e)) + ": " + e.what());
      } catch (...) {
        fail("other", "an exception not derived from std::exception");
      }
    }

    void build(Slot& slot, Lane& lane) {
      auto ev = begin_event(CallKind::build, slot);
      if (plan_.fail_build_on_worker && *plan_.fail_build_on_worker == slot.id.worker && slot.id.branch == 0) {
        inject(ev, "the fault plan fails build on worker " + std::to_string(slot.id.worker), false);
      } else {
        call_sink(ev, [&] {
          slot.partition = build_any_partition(sim_.node_, sim_.config_, slot.id.worker, workload_.workers,
                                               sim_.options_.bridge, sim_.options_.session_manager);
        });
        slot.built = ev.outcome == Outcome::ok;
        if (slot.built) {
          for (const auto& f : plan_.storage_faults) {
            if (f.worker == slot.id.worker && f.branch == slot.id.branch) {
              sim_.options_.arm_storage_fault(slot.id, f.after_items);
            }
          }
        }
      }
      if (ev.outcome != Outcome::ok) abort("build of " + to_string(slot.id) + " failed: " + failure_text(ev));
      end_event(ev, lane);
    }

    void write(Slot& slot, int epoch, std::uint32_t size, Lane& lane, bool after_close = false) {
      auto ev = begin_event(CallKind::write_batch, slot);
      ev.epoch = epoch;
      ev.after_close = after_close;
      ev.call = slot.write_calls++;
      ev.first_seq = slot.next_seq;
      ev.size = size;
      slot.next_seq += size;
      const WriteFault* fault = nullptr;
      for (const auto& f : plan_.write_faults) {
        if (f.worker == slot.id.worker && f.branch == slot.id.branch && f.call == ev.call) fault = &f;
      }
      if (fault && fault->timing == FaultTiming::before_forwarding) {
        inject(ev, "the fault plan fails write_batch #" + std::to_string(ev.call) + " before the sink is called",
               false);
      } else {
        if (sim_.options_.before_write) sim_.options_.before_write(ev);
        if (sim_.options_.view == PayloadView::subtype) {
          if constexpr (kSubtypeViewPossible) forward(slot, ev, lane.subtype, slot.ahead_subtype);
        } else {
          forward(slot, ev, lane.exact, slot.ahead_exact);
        }
        if (fault && ev.outcome == Outcome::ok) {
          inject(ev, "the fault plan fails write_batch #" + std::to_string(ev.call) + " after the sink returned",
                 true);
        }
      }
      if (ev.outcome != Outcome::ok && !after_close && !plan_.keep_writing_after_failure) {
        abort("write_batch #" + std::to_string(ev.call) + " on " + to_string(slot.id) + " failed: " + failure_text(ev));
      }
      const bool acked = ev.acknowledged();
      end_event(ev, lane);
      if (acked && sim_.options_.after_write) sim_.options_.after_write(lane.events.back());
    }

    template <class Item>
    void forward(Slot& slot, TraceEvent& ev, std::vector<Item>& lane_buffer, std::vector<std::vector<Item>>& ahead) {
      const auto call = static_cast<std::size_t>(ev.call);
      const bool made = call < ahead.size() && ahead[call].size() == ev.size;
      std::vector<Item>& buffer = made ? ahead[call] : lane_buffer;
      if (!made) {
        buffer.clear();
        buffer.reserve(ev.size);
        for (std::uint32_t i = 0; i < ev.size; ++i) buffer.emplace_back(sim_.make_item_(ev.key(i)));
      }
      call_sink(ev, [&] { slot.partition.write_batch(Batch<payload_type>(buffer)); });
      if constexpr (kCanPoison) {
        if (sim_.options_.poison_batches && !buffer.empty()) {
          const payload_type poison = sim_.make_item_(kPoisonKey);
          for (auto& item : buffer) static_cast<payload_type&>(item) = poison;
        }
      }
    }

    void close_all(Slot& slot, Lane& lane) {
      if (!slot.built) return;
      for (int i = 0; i < plan_.close_calls; ++i) {
        auto ev = begin_event(CallKind::close, slot);
        ev.call = i;
        call_sink(ev, [&] { slot.partition.close(); });
        end_event(ev, lane);
        if (sim_.options_.after_close) sim_.options_.after_close(lane.events.back());
      }
      if (std::find(plan_.write_after_close.begin(), plan_.write_after_close.end(), slot.id) !=
          plan_.write_after_close.end()) {
        write(slot, workload_.epochs, kWriteAfterCloseSize, lane, /*after_close=*/true);
      }
    }

    // Small: the point is whether the sink refuses it, not its size.
    static constexpr std::uint32_t kWriteAfterCloseSize = 3;

    // Marks `ev` as failed by the fault plan; `sink_was_called` says whether
    // the sink saw the call (after-forwarding faults) or not.
    static void inject(TraceEvent& ev, std::string message, bool sink_was_called) {
      ev.injected = true;
      ev.forwarded = sink_was_called;
      ev.outcome = Outcome::threw;
      ev.error_kind = "injected";
      ev.message = std::move(message);
    }

    static std::string failure_text(const TraceEvent& ev) {
      return ev.error_kind + ": " + ev.message;
    }

    bool aborted() const noexcept { return aborted_.load(std::memory_order_acquire); }

    void abort(std::string reason) {
      std::lock_guard lock(abort_mutex_);
      if (!aborted_.load(std::memory_order_relaxed)) {
        abort_reason_ = std::move(reason);
        aborted_.store(true, std::memory_order_release);
      }
    }

    Simulator& sim_;
    const Workload& workload_;
    const FaultPlan& plan_;
    std::chrono::steady_clock::time_point start_;
    std::vector<Slot> slots_;
    std::vector<TraceEvent> events_;
    std::atomic<std::uint64_t> next_index_{0};
    std::atomic<bool> aborted_{false};
    std::mutex abort_mutex_;
    std::string abort_reason_;
  };

  Node& node_;
  nlohmann::json config_;
  MakeItem make_item_;
  SimulatorOptions options_;
};

}  // namespace simulation
}  // namespace sinkkit
