#include <sinkkit/simulation/detail/simulator_core.hpp>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <utility>
#include <vector>

#include <sinkkit/detail/demangle.hpp>
#include <sinkkit/detail/rng.hpp>
#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/simulation/storage_fault_injector.hpp>

#include "call_journal.hpp"

namespace sinkkit::detail {

namespace {
// What the port of the call running on this thread reported
// (report_sink_time, report_bridge_in_flight).
thread_local std::int64_t reported_sink_ns = -1;
thread_local std::int64_t reported_bridge_in_flight = -1;
}  // namespace

void report_sink_time(std::int64_t ns) noexcept { reported_sink_ns = ns; }
void report_bridge_in_flight(std::int64_t tasks) noexcept { reported_bridge_in_flight = tasks; }

namespace {

// What the run knows of one partition (worker x branch).
struct PartitionRun {
  PartitionId id;
  std::unique_ptr<PartitionPort> port;  // set once built
  bool no_writes = false;
  int write_calls = 0;
  std::int64_t next_seq = 0;
  // A storage fault injected from outside: its window opens at the call that
  // takes the partition past `after_items` and stays open until it fires.
  const StorageFault* outside_fault = nullptr;
  std::int64_t items_handed = 0;
  bool outside_fault_fired = false;
  // One armed through the sink's hook: the first call in its window that the
  // sink fails with a storage error is taken as it firing.
  const StorageFault* hook_fault = nullptr;
  bool hook_fault_fired = false;
};

// Small: the point is whether the sink refuses it, not its size.
constexpr std::uint32_t kWriteAfterCloseSize = 3;

void shuffle(std::vector<std::size_t>& v, Rng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<std::size_t>(rng.below(i))]);
}

// Releases its threads at once, by spinning: std::barrier's futex wakes them
// tens of microseconds apart, longer than most calls, so calls that could race
// seldom overlapped. With more threads than cores a spinner would hold a core
// the last arriving thread needs: it spins a moment, then blocks until the
// release. It never yields, which on a loaded machine hands the core to any
// other task, even one at nice 19, for milliseconds.
class SpinBarrier {
 public:
  explicit SpinBarrier(int n)
      : n_(n),
        spin_(n <= static_cast<int>(std::thread::hardware_concurrency()) ? std::chrono::microseconds(200)
                                                                         : std::chrono::microseconds(2)) {}
  void arrive_and_wait() {
    const auto generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
      generation_.notify_all();
      return;
    }
    const auto spin_until = std::chrono::steady_clock::now() + spin_;
    while (generation_.load(std::memory_order_acquire) == generation) {
      if (std::chrono::steady_clock::now() > spin_until) generation_.wait(generation, std::memory_order_acquire);
    }
  }

 private:
  const int n_;
  const std::chrono::microseconds spin_;
  std::atomic<int> arrived_{0};
  std::atomic<std::uint32_t> generation_{0};
};

// A delay before a call, drawn from the worker's seeded draws: none half the
// time, else a busy wait of up to 10 us (about a short call's length), so
// that two workers' calls overlap at a different point in each case.
void jitter(Rng& rng) {
  if (rng.below(2) == 0) return;
  const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(rng.below(10'000));
  while (std::chrono::steady_clock::now() < until) {
  }
}

// Calls `fn` and records how the sink ended it.
template <class F>
void call_sink(TraceEvent& ev, F&& fn) {
  auto fail = [&ev](const char* kind, std::string message) {
    ev.sink_outcome = ev.outcome = Outcome::threw;
    ev.error_kind = kind;
    ev.message = std::move(message);
  };
  journal_call_begun(ev);
  reported_sink_ns = -1;
  try {
    fn();
    ev.sink_outcome = Outcome::ok;
    ev.sink_ns = reported_sink_ns;
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
    fail("other", type_name(typeid(e)) + ": " + e.what());
  } catch (...) {
    fail("other", "an exception not derived from std::exception");
  }
}

// Marks `ev` as failed by the fault plan; `sink_was_called` says whether the
// sink saw the call (after-forwarding faults) or not.
void inject(TraceEvent& ev, std::string message, bool sink_was_called) {
  ev.injected = true;
  ev.forwarded = sink_was_called;
  ev.outcome = Outcome::threw;
  ev.error_kind = "injected";
  ev.message = std::move(message);
}

std::string failure_text(const TraceEvent& ev) { return ev.error_kind + ": " + ev.message; }

// One run's state.
class Run {
 public:
  Run(NodePort& node, const SimulatorOptions& options, const Workload& workload, const FaultPlan& plan)
      : node_(node), options_(options), workload_(workload), plan_(plan), start_(std::chrono::steady_clock::now()) {
    partitions_.resize(static_cast<std::size_t>(workload.partitions()));
    for (int w = 0; w < workload.workers; ++w) {
      for (int b = 0; b < workload.branches; ++b) {
        auto& p = partition(w, b);
        p.id = PartitionId{w, b};
        p.no_writes = std::find(plan.no_writes.begin(), plan.no_writes.end(), p.id) != plan.no_writes.end();
        p.next_seq = options.start_seq;
      }
    }
  }

  void run_deterministic() {
    Rng rng(options_.seed);
    std::vector<TraceEvent> events;
    // Builds, eagerly, in a seeded order; the first failure aborts the rest.
    std::vector<std::size_t> order(partitions_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    shuffle(order, rng);
    for (auto i : order) {
      if (aborted()) break;
      build(partitions_[i], events);
    }
    for (auto& p : partitions_) make_items_ahead(p);
    // Epochs: within one, the next call comes from a seeded pick among the
    // partitions that still have batches; all of epoch e before any of e+1.
    for (int e = 0; e < workload_.epochs && !aborted(); ++e) {
      std::vector<std::pair<std::size_t, std::size_t>> pending;  // (partition, next batch)
      for (std::size_t i = 0; i < partitions_.size(); ++i) {
        const auto& p = partitions_[i];
        if (p.port && !p.no_writes && !batches_of(p, e).empty()) pending.emplace_back(i, 0);
      }
      while (!pending.empty() && !aborted()) {
        auto pick = static_cast<std::size_t>(rng.below(pending.size()));
        auto& [index, batch] = pending[pick];
        auto& p = partitions_[index];
        write(p, e, batches_of(p, e)[batch], events);
        if (++batch == batches_of(p, e).size()) {
          pending[pick] = pending.back();
          pending.pop_back();
        }
      }
      end_of_epoch(e);
    }
    shuffle(order, rng);
    for (auto i : order) close_all(partitions_[i], events);
    events_ = std::move(events);
  }

  void run_threaded() {
    const int workers = workload_.workers;
    std::barrier sync(workers);
    SpinBarrier start_line(workers);  // perturb_schedule: a round of calls starts at once
    // A barrier of one waits for no one but still costs a futex wake per
    // phase (microseconds on a VM): skip it, so that one worker's run costs
    // what its calls cost.
    const bool alone = workers == 1;
    std::vector<std::vector<TraceEvent>> events_of(static_cast<std::size_t>(workers));
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(workers));
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([this, w, alone, &sync, &start_line, &events_of] {
        auto& events = events_of[static_cast<std::size_t>(w)];
        // Released together, as a runtime starts its workers: builds overlap,
        // so partitions that race to open their storage meet.
        if (!alone) sync.arrive_and_wait();
        for (int b = 0; b < workload_.branches; ++b) {
          if (!aborted()) build(partition(w, b), events);
        }
        for (int b = 0; b < workload_.branches; ++b) make_items_ahead(partition(w, b));
        if (!alone) sync.arrive_and_wait();  // every partition is built before any data
        Rng rng(options_.seed ^ (0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(w + 1)));
        for (int e = 0; e < workload_.epochs; ++e) {
          if (aborted()) {
            if (!alone) sync.arrive_and_drop();  // later epochs' barriers stop waiting for this worker
            break;
          }
          write_epoch_of_worker(w, e, rng, events, options_.perturb_schedule && !alone ? &start_line : nullptr);
          if (!alone) sync.arrive_and_wait();  // backpressure: epoch e is done everywhere
          if (w == 0) end_of_epoch(e);
          if (!alone) sync.arrive_and_wait();  // everyone sees the abort decision of epoch e
        }
        for (int b = 0; b < workload_.branches; ++b) close_all(partition(w, b), events);
      });
    }
    for (auto& t : threads) t.join();
    for (auto& events : events_of) {
      events_.insert(events_.end(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
    }
    std::sort(events_.begin(), events_.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  }

  Trace finish() {
    Trace t;
    t.mode = options_.mode;
    t.seed = options_.seed;
    t.workload = workload_;
    t.plan = plan_;
    t.events = std::move(events_);
    t.aborted = aborted();
    t.abort_reason = abort_reason_;
    return t;
  }

 private:
  PartitionRun& partition(int worker, int branch) {
    return partitions_[static_cast<std::size_t>(worker * workload_.branches + branch)];
  }
  const std::vector<std::uint32_t>& batches_of(const PartitionRun& p, int epoch) const {
    return workload_.batches(p.id.worker, p.id.branch, epoch);
  }

  // The keys of a partition's writes follow from the workload alone: call by
  // call, epoch by epoch, seqs counting up from the options' start_seq.
  std::vector<PlannedWrite> planned_writes(const PartitionRun& p) const {
    std::vector<PlannedWrite> writes;
    std::int64_t seq = p.next_seq;
    for (int e = 0; e < workload_.epochs; ++e) {
      for (std::uint32_t size : batches_of(p, e)) {
        writes.push_back({e, seq, size});
        seq += size;
      }
    }
    return writes;
  }

  // One worker's share of an epoch: its branches' batches, interleaved by a
  // seeded pick (branches of one worker share its thread). With a start line
  // (perturb_schedule), in rounds: every worker's k-th call of the epoch
  // starts with the others', after a seeded jitter; every worker takes part
  // in every round of the epoch, also once its own calls are done or the run
  // aborted, so that none waits for ever.
  void write_epoch_of_worker(int w, int e, Rng& rng, std::vector<TraceEvent>& events,
                             SpinBarrier* start_line = nullptr) {
    std::vector<std::pair<PartitionRun*, std::size_t>> pending;
    for (int b = 0; b < workload_.branches; ++b) {
      auto& p = partition(w, b);
      if (p.port && !p.no_writes && !batches_of(p, e).empty()) pending.emplace_back(&p, 0);
    }
    auto write_next = [&] {
      auto pick = static_cast<std::size_t>(rng.below(pending.size()));
      auto& [p, batch] = pending[pick];
      write(*p, e, batches_of(*p, e)[batch], events);
      if (++batch == batches_of(*p, e).size()) {
        pending[pick] = pending.back();
        pending.pop_back();
      }
    };
    if (start_line == nullptr) {
      while (!pending.empty() && !aborted()) write_next();
      return;
    }
    std::size_t rounds = 0;
    for (int worker = 0; worker < workload_.workers; ++worker) {
      std::size_t calls = 0;
      for (int b = 0; b < workload_.branches; ++b) {
        const auto& p = partition(worker, b);
        if (p.port && !p.no_writes) calls += batches_of(p, e).size();
      }
      rounds = std::max(rounds, calls);
    }
    for (std::size_t round = 0; round < rounds; ++round) {
      start_line->arrive_and_wait();
      if (pending.empty() || aborted()) continue;
      jitter(rng);
      write_next();
    }
  }

  void end_of_epoch(int e) {
    if (plan_.abort_after_epoch && *plan_.abort_after_epoch == e) {
      abort("the fault plan aborts the run after epoch " + std::to_string(e));
    }
  }

  TraceEvent begin_event(CallKind kind, const PartitionRun& p) {
    TraceEvent ev;
    ev.kind = kind;
    ev.partition = p.id;
    ev.index = next_index_.fetch_add(1);
    ev.start = now(ev.index, false);
    return ev;
  }

  void end_event(TraceEvent& ev, std::vector<TraceEvent>& events) {
    ev.end = now(ev.index, true);
    journal_call_ended(ev);
    events.push_back(std::move(ev));
  }

  // Threaded: ns since the run started. Deterministic: logical ticks from the
  // event index, so the same seed gives the same trace byte for byte.
  std::int64_t now(std::uint64_t index, bool end) const {
    if (options_.mode == ExecutionMode::deterministic) return static_cast<std::int64_t>(index * 2 + (end ? 1 : 0));
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_).count();
  }

  void build(PartitionRun& p, std::vector<TraceEvent>& events) {
    auto ev = begin_event(CallKind::build, p);
    if (plan_.fail_build_on_worker && *plan_.fail_build_on_worker == p.id.worker && p.id.branch == 0) {
      inject(ev, "the fault plan fails build on worker " + std::to_string(p.id.worker), false);
    } else {
      std::unique_ptr<PartitionPort> port;
      call_sink(ev, [&] { port = node_.build(p.id.worker, workload_.workers); });
      if (ev.outcome == Outcome::ok) {
        p.port = std::move(port);
        for (const auto& f : plan_.storage_faults) {
          if (f.worker != p.id.worker || f.branch != p.id.branch) continue;
          if (options_.arm_storage_fault) {
            options_.arm_storage_fault(p.id, f.after_items);
            p.hook_fault = &f;
          } else {
            p.outside_fault = &f;
          }
        }
      }
    }
    if (ev.outcome != Outcome::ok) abort("build of " + to_string(p.id) + " failed: " + failure_text(ev));
    end_event(ev, events);
  }

  // items_made_ahead: a built partition's items, made once all the builds
  // (of its worker, on the worker's thread, as the runtime's upstream makes
  // them) are done: outside every call, so that the benchmarks can leave
  // the time between the builds and the data out.
  void make_items_ahead(PartitionRun& p) {
    if (options_.items_made_ahead && p.port) p.port->make_items_ahead(p.id, planned_writes(p));
  }

  void write(PartitionRun& p, int epoch, std::uint32_t size, std::vector<TraceEvent>& events,
             bool after_close = false) {
    auto ev = begin_event(CallKind::write_batch, p);
    ev.epoch = epoch;
    ev.after_close = after_close;
    ev.call = p.write_calls++;
    ev.first_seq = p.next_seq;
    ev.size = size;
    p.next_seq += size;
    const WriteFault* fault = nullptr;
    for (const auto& f : plan_.write_faults) {
      if (f.worker == p.id.worker && f.branch == p.id.branch && f.call == ev.call) fault = &f;
    }
    if (fault && fault->timing == FaultTiming::before_forwarding) {
      inject(ev, "the fault plan fails write_batch #" + std::to_string(ev.call) + " before the sink is called", false);
    } else {
      if (options_.before_write) options_.before_write(ev);
      p.items_handed += size;
      with_storage_fault_window(p, ev, [&] { call_sink(ev, [&] { p.port->write_batch(ev); }); });
      if (fault && ev.outcome == Outcome::ok) {
        inject(ev, "the fault plan fails write_batch #" + std::to_string(ev.call) + " after the sink returned", true);
      }
    }
    if (ev.outcome != Outcome::ok && !after_close && !plan_.keep_writing_after_failure) {
      abort("write_batch #" + std::to_string(ev.call) + " on " + to_string(p.id) + " failed: " + failure_text(ev));
    }
    const bool acked = ev.acknowledged();
    end_event(ev, events);
    if (acked && options_.after_write) options_.after_write(events.back());
  }

  void close_all(PartitionRun& p, std::vector<TraceEvent>& events) {
    if (!p.port) return;
    for (int i = 0; i < plan_.close_calls; ++i) {
      auto ev = begin_event(CallKind::close, p);
      ev.call = i;
      reported_bridge_in_flight = -1;
      with_storage_fault_window(p, ev, [&] { call_sink(ev, [&] { p.port->close(); }); });
      ev.bridge_in_flight = reported_bridge_in_flight >= 0 ? reported_bridge_in_flight
                            : options_.bridge != nullptr   ? static_cast<std::int64_t>(options_.bridge->in_flight())
                                                           : 0;
      end_event(ev, events);
      if (options_.after_close) options_.after_close(events.back());
    }
    if (std::find(plan_.write_after_close.begin(), plan_.write_after_close.end(), p.id) !=
        plan_.write_after_close.end()) {
      write(p, workload_.epochs, kWriteAfterCloseSize, events, /*after_close=*/true);
    }
  }

  // Runs `call` (which catches whatever the sink throws) inside the
  // partition's storage fault window when it is open: from the call that
  // takes the partition past the fault's `after_items` until it fires.
  template <class F>
  void with_storage_fault_window(PartitionRun& p, TraceEvent& ev, F&& call) {
    if (p.hook_fault != nullptr && !p.hook_fault_fired && p.items_handed > p.hook_fault->after_items) {
      call();
      if (ev.forwarded && ev.sink_outcome != Outcome::ok && ev.error_kind == "write") {
        ev.storage_fault = FiredStorageFault{.call = "hook", .hook = true};
        p.hook_fault_fired = true;
      }
      return;
    }
    const bool open =
        p.outside_fault != nullptr && !p.outside_fault_fired && p.items_handed > p.outside_fault->after_items;
    if (!open) {
      call();
      return;
    }
    auto& injector = *options_.storage_fault_injector;
    injector.arm(p.id, *p.outside_fault);
    call();
    ev.storage_fault = injector.disarm(p.id);
    p.outside_fault_fired = ev.storage_fault.has_value();
  }

  bool aborted() const noexcept { return aborted_.load(std::memory_order_acquire); }

  void abort(std::string reason) {
    std::lock_guard lock(abort_mutex_);
    if (!aborted_.load(std::memory_order_relaxed)) {
      abort_reason_ = std::move(reason);
      aborted_.store(true, std::memory_order_release);
    }
  }

  NodePort& node_;
  const SimulatorOptions& options_;
  const Workload& workload_;
  const FaultPlan& plan_;
  std::chrono::steady_clock::time_point start_;
  std::vector<PartitionRun> partitions_;
  std::vector<TraceEvent> events_;
  std::atomic<std::uint64_t> next_index_{0};
  std::atomic<bool> aborted_{false};
  std::mutex abort_mutex_;
  std::string abort_reason_;
};

void validate(const NodePort& node, const SimulatorOptions& options, const Workload& workload,
              const FaultPlan& plan) {
  workload.validate();
  plan.validate(workload.workers, workload.branches);
  if (workload.branches > 1 && !node.router_branch_safe()) {
    throw std::invalid_argument("simulator: node '" + node.name() + "' is not router_branch_safe, but the workload has " +
                                std::to_string(workload.branches) + " branches per worker");
  }
  if (!plan.storage_faults.empty() && !options.arm_storage_fault) {
    if (options.storage_fault_injector == nullptr) {
      throw std::invalid_argument(
          "simulator: the fault plan has storage faults but neither an arm_storage_fault hook nor a "
          "storage_fault_injector");
    }
    // A fault from outside hits whatever storage call comes next in the
    // process: one call at a time, or it may land on another partition.
    if (options.mode != ExecutionMode::deterministic) {
      throw std::invalid_argument("simulator: storage faults from outside the sink need the deterministic mode");
    }
  }
  if (options.view == PayloadView::subtype && !node.subtype_view_possible()) {
    throw std::invalid_argument("simulator: a subtype view needs a non-final class payload");
  }
}

}  // namespace

Trace run_simulation(NodePort& node, const SimulatorOptions& options, const Workload& workload, const FaultPlan& plan) {
  validate(node, options, workload, plan);
  Run run(node, options, workload, plan);
  journal_run_begun(options.mode, options.seed, workload, plan);
  if (options.mode == ExecutionMode::deterministic) {
    run.run_deterministic();
  } else {
    run.run_threaded();
  }
  return run.finish();
}

}  // namespace sinkkit::detail
