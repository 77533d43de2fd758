#pragma once
// Mutants that get write_batch wrong (rules SK-2.x).

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mutant_support.hpp"

namespace zoo {

// SK-2.1: declares durability on_return, but buffers until close.
struct BuffersDespiteOnReturn : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "buffers-despite-on-return";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    Appender out;
    std::vector<Event> buffer;
    void write_batch(Batch<Event> batch) {
      if (out.closed()) throw sinkkit::ClosedError("write_batch");
      buffer.insert(buffer.end(), batch.begin(), batch.end());
    }
    void close() {
      if (!buffer.empty()) out.write_batch(Batch<Event>(buffer));
      buffer.clear();
      out.close();
    }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index), {}};
  }
};

// SK-2.2: stores each batch back to front (a stack where a queue was meant).
struct ReordersWithinBatch : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "reorders-within-batch";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    Appender out;
    void write_batch(Batch<Event> batch) {
      std::vector<Event> reversed(batch.begin(), batch.end());
      std::reverse(reversed.begin(), reversed.end());
      out.write_batch(Batch<Event>(reversed));
    }
    void close() { out.close(); }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index)};
  }
};

// SK-2.3: every worker writes "part-0", opened for writing (truncated) at its
// first write: the workers clobber each other.
struct IgnoresWorkerIndex : FilesNode {
  using FilesNode::FilesNode;
  std::string name = "ignores-worker-index";
  static constexpr bool router_branch_safe = false;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    std::shared_ptr<NamedFiles> files;
    std::string target;
    bool opened = false;
    bool closed = false;
    void write_batch(Batch<Event> batch) {
      if (closed) throw sinkkit::ClosedError("write_batch");
      if (!opened) files->truncate(target, "part-0");
      opened = true;
      files->append(target, "part-0", batch);
    }
    void close() { closed = true; }
  };
  Partition build_partition(const nlohmann::json& config, int, int, AsyncBridge*, void*) {
    return Partition{files, config.at("target").get<std::string>()};
  }
};

// SK-2.4: writes a progress marker after every large batch.
struct MakesUpItems : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "makes-up-items";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    Appender out;
    void write_batch(Batch<Event> batch) {
      out.write_batch(batch);
      if (batch.size() > 10) {
        const Event marker{"progress", static_cast<std::int64_t>(batch.size())};
        out.write_batch(Batch<Event>(std::span(&marker, 1)));
      }
    }
    void close() { out.close(); }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index)};
  }
};

// SK-2.5: declares exactly_once, but every third write is "retried" after a
// timeout that had in fact succeeded.
struct RetriesDuplicate : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "retries-duplicate";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    Appender out;
    int calls = 0;
    void write_batch(Batch<Event> batch) {
      out.write_batch(batch);
      if (++calls % 3 == 0) out.write_batch(batch);
    }
    void close() { out.close(); }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index)};
  }
};

// SK-2.6: walks the batch as a raw array of Event, with sizeof(Event) as the
// stride: right for the exact type, garbage (or a crash) for a subtype.
struct BaseStrideIteration : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "base-stride-iteration";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    Appender out;
    void write_batch(Batch<Event> batch) {
      if (batch.empty()) return;
      const Event* raw = &batch[0];
      std::vector<Event> copy;
      for (std::size_t i = 0; i < batch.size(); ++i) copy.push_back(raw[i]);  // the bug
      out.write_batch(Batch<Event>(copy));
    }
    void close() { out.close(); }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index)};
  }
};

// SK-2.6: handles only batches of exactly its payload type (it wants one
// contiguous array) and refuses a subtype's with a storage error. A refused
// batch loses nothing acknowledged: only "a call that fails with no fault
// injected is the sink's failure" catches it.
struct RefusesSubtypeBatches : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "refuses-subtype-batches";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    Appender out;
    void write_batch(Batch<Event> batch) {
      if (batch.stride_bytes() != static_cast<std::ptrdiff_t>(sizeof(Event))) {
        throw std::runtime_error("storage error: unsupported record layout");
      }
      out.write_batch(batch);
    }
    void close() { out.close(); }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index)};
  }
};

// SK-2.7: keeps the batch views and copies the items only at close.
struct RetainsBatch : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "retains-batch";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {.durability = sinkkit::Durability::on_close}; }
  struct Partition {
    Appender out;
    std::vector<std::pair<const Event*, std::size_t>> kept;  // pointers into the runtime's memory
    void write_batch(Batch<Event> batch) {
      if (out.closed()) throw sinkkit::ClosedError("write_batch");
      if (!batch.empty()) kept.emplace_back(&batch[0], batch.size());
    }
    void close() {
      for (auto [first, n] : kept) out.write_batch(Batch<Event>(std::span(first, n)));
      kept.clear();
      out.close();
    }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index), {}};
  }
};

// SK-2.8: treats an empty batch as a protocol error.
struct RejectsEmptyBatches : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "rejects-empty-batches";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    Appender out;
    void write_batch(Batch<Event> batch) {
      if (batch.empty()) throw sinkkit::SinkError("empty batch");
      out.write_batch(batch);
    }
    void close() { out.close(); }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index)};
  }
};

// SK-2.8: reads the first item of every batch (a header taken from it), so an
// empty batch is a null dereference: the process dies, made deterministic.
struct CrashesOnEmptyBatch : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "crashes-on-empty-batch";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    Appender out;
    void write_batch(Batch<Event> batch) {
      if (batch.empty()) std::raise(SIGSEGV);
      out.write_batch(batch);
    }
    void close() { out.close(); }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index)};
  }
};

// SK-2.9: a request-size limit applied by silently cutting the batch.
struct TruncatesLargeBatches : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "truncates-large-batches";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    Appender out;
    void write_batch(Batch<Event> batch) {
      std::vector<Event> head(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(batch.size(), 4096)));
      out.write_batch(Batch<Event>(head));
    }
    void close() { out.close(); }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index)};
  }
};

// The windows of the SK-2.10 mutants: a worker alone in its window holds it
// open for a moment until another enters, so that calls that can overlap do,
// however the threads are scheduled (a mutant must be caught on every run,
// also on a loaded machine). Only when the target's partitions were built on
// more than one thread, as a threaded run builds them: one after another,
// nobody would come, and each call would wait out the moment for nothing.
class BuildThreads {
 public:
  void built(const std::string& target) {
    std::lock_guard lock(mutex_);
    threads_[target].insert(std::this_thread::get_id());
  }
  bool concurrent(const std::string& target) {
    std::lock_guard lock(mutex_);
    const auto it = threads_.find(target);
    return it != threads_.end() && it->second.size() > 1;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::set<std::thread::id>> threads_;
};

// SK-2.10: all partitions share one row buffer and extend it with a
// read-modify-write in two separately locked steps (an atomicity bug, not a
// data race): two workers writing at once lose one worker's rows.
struct UnguardedSharedState : FilesNode {
  using FilesNode::FilesNode;
  std::string name = "unguarded-shared-state";
  static constexpr bool router_branch_safe = true;
  // Its rows reach the files at close (durability on_return would be a
  // second bug, SK-2.1's).
  static Capabilities capabilities() {
    return {.durability = sinkkit::Durability::on_close, .ordered_per_partition = false};
  }
  struct Shared {
    std::mutex mutex;
    std::condition_variable joined;
    std::vector<Event> rows;
    int holding = 0;          // workers between their read and their write-back
    std::uint64_t reads = 0;  // reads so far
  };
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::shared_ptr<BuildThreads> builds = std::make_shared<BuildThreads>();
  struct Partition {
    std::shared_ptr<NamedFiles> files;
    std::shared_ptr<Shared> shared;
    std::shared_ptr<BuildThreads> builds;
    std::string target;
    bool closed = false;
    void write_batch(Batch<Event> batch) {
      if (closed) throw sinkkit::ClosedError("write_batch");
      const bool concurrent = builds->concurrent(target);  // the window (BuildThreads)
      std::unique_lock lock(shared->mutex);
      std::vector<Event> next = shared->rows;
      const bool alone = shared->holding++ == 0 && concurrent;
      const auto mine = ++shared->reads;
      shared->joined.notify_all();
      if (alone) shared->joined.wait_for(lock, std::chrono::milliseconds(20), [&] { return shared->reads > mine; });
      next.insert(next.end(), batch.begin(), batch.end());
      shared->rows = std::move(next);  // the bug: overwrites what others wrote since the read
      --shared->holding;
    }
    void close() {
      closed = true;
      std::lock_guard lock(shared->mutex);
      files->truncate(target, "shared");
      files->append(target, "shared", Batch<Event>(shared->rows));
    }
  };
  Partition build_partition(const nlohmann::json& config, int, int, AsyncBridge*, void*) {
    const auto target = config.at("target").get<std::string>();
    builds->built(target);
    return Partition{files, shared, builds, target, false};
  }
};

// SK-2.10: creates its table at its first write, not at build (RacyTables):
// workers that write one after another find it made by the first; two whose
// first writes overlap both find it missing, and the second CREATE fails.
// (RacesAtOpen is the same bug at build: SK-1.1's.)
struct CreatesTableAtFirstWrite : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "creates-table-at-first-write";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  std::shared_ptr<RacyTables> tables = std::make_shared<RacyTables>();
  std::shared_ptr<BuildThreads> builds = std::make_shared<BuildThreads>();
  struct Partition {
    Appender out;
    std::shared_ptr<RacyTables> tables;
    std::shared_ptr<BuildThreads> builds;
    std::string target;
    bool table_checked = false;
    void write_batch(Batch<Event> batch) {
      if (!table_checked) {
        tables->create_if_missing(target, builds->concurrent(target));  // the window (BuildThreads)
        table_checked = true;
      }
      out.write_batch(batch);
    }
    void close() { out.close(); }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    auto target = target_of(config);
    builds->built(target);
    return Partition{appender(config, worker_index), tables, builds, target};
  }
};

// SK-2.10: every partition of a target appends to one std::vector, with no
// lock: a plain data race (push_back from several workers' threads at once),
// and nothing in the sink holds a window open for it. The kit's threaded
// runs must make it show by themselves, at every seed.
struct SharesUnguardedVector {
  using payload_type = Event;
  struct Rows {
    std::mutex mutex;  // guards the map only: each target's vector is shared unguarded
    std::map<std::string, std::vector<Event>> of_target;
  };
  std::shared_ptr<Rows> rows;
  std::string name = "shares-unguarded-vector";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {.ordered_per_partition = false}; }
  struct Partition {
    std::vector<Event>* rows;
    bool closed = false;
    void write_batch(Batch<Event> batch) {
      if (closed) throw sinkkit::ClosedError("write_batch");
      for (const auto& e : batch) rows->push_back(e);  // the bug: shared by every worker, unguarded
    }
    void close() { closed = true; }
  };
  Partition build_partition(const nlohmann::json& config, int, int, AsyncBridge*, void*) {
    std::lock_guard lock(rows->mutex);
    auto& shared = rows->of_target[config.at("target").get<std::string>()];
    // Room for any case's rows: the race loses updates (two workers store
    // at one end), rather than mostly crashing on a reallocation under ASan.
    shared.reserve(1U << 14);
    return Partition{&shared};
  }
};

struct SharedVectorHarness : sinkkit_harnesses::EventItems {
  using node_type = SharesUnguardedVector;
  std::shared_ptr<SharesUnguardedVector::Rows> rows = std::make_shared<SharesUnguardedVector::Rows>();
  node_type make_node() { return node_type{rows}; }
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"target", t.id}}; }
  std::vector<Event> read_back(const nlohmann::json& config) {
    std::lock_guard lock(rows->mutex);
    return rows->of_target[config.at("target").get<std::string>()];
  }
  Capabilities capabilities() { return node_type::capabilities(); }
};

// SK-2.11: at-least-once sink that re-sends the previous batch with every new
// one (a retry buffer that is never cleared on success).
struct ResendsPreviousBatch : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "resends-previous-batch";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {.delivery = sinkkit::Delivery::at_least_once}; }
  struct Partition {
    Appender out;
    std::vector<Event> previous;
    void write_batch(Batch<Event> batch) {
      if (!previous.empty()) out.write_batch(Batch<Event>(previous));
      out.write_batch(batch);
      previous.assign(batch.begin(), batch.end());
    }
    void close() { out.close(); }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index), {}};
  }
};

}  // namespace zoo
