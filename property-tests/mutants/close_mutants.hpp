#pragma once
// Mutants that get close wrong (rules SK-3.x).

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "mutant_support.hpp"

namespace zoo {

// A buffered partition, flushing every `flush_every` rows; the mutants below
// differ in how they flush and close.
struct BufferedBase {
  StoreNode::Appender out;
  std::vector<Event> buffer;
  std::size_t flush_every = 50;
};

// SK-3.1: close flushes the buffer but never clears it: a second close writes
// everything again.
struct DoubleFlushOnClose : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "double-flush-on-close";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {.durability = sinkkit::Durability::on_close}; }
  struct Partition : BufferedBase {
    bool closed = false;
    void write_batch(Batch<Event> batch) {
      if (closed) throw sinkkit::ClosedError("write_batch");
      buffer.insert(buffer.end(), batch.begin(), batch.end());
    }
    void close() {
      closed = true;
      out.write_batch(Batch<Event>(buffer));  // the bug: buffer kept
    }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{{appender(config, worker_index), {}, 50}};
  }
};

// SK-3.2: close flushes a writer that only the first write creates.
struct CrashOnIdleClose : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "crash-on-idle-close";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    Appender out;
    bool writer_open = false;
    void write_batch(Batch<Event> batch) {
      writer_open = true;
      out.write_batch(batch);
    }
    void close() {
      // Stands for writer_->flush() on a writer that was never created: a
      // null dereference, made deterministic.
      if (!writer_open) std::raise(SIGSEGV);
      out.close();
    }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index)};
  }
};

// SK-3.3: remembers a failed write (its storage failed) and rethrows it from
// close, so the runtime's cleanup fails too.
struct ClosePropagatesWriteError : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "close-propagates-write-error";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    Appender out;
    std::string error;
    void write_batch(Batch<Event> batch) {
      try {
        out.write_batch(batch);
      } catch (const std::exception& e) {
        error = e.what();
        throw;
      }
    }
    void close() {
      if (!error.empty()) throw sinkkit::SinkError("close: earlier write failed: " + error);
      out.close();
    }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index), {}};
  }
};

// SK-3.4: flushes on the threshold only; whatever is buffered at close is
// dropped.
struct DropsLastBufferAtClose : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "drops-last-buffer-at-close";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {.durability = sinkkit::Durability::on_close}; }
  struct Partition : BufferedBase {
    void write_batch(Batch<Event> batch) {
      if (out.closed()) throw sinkkit::ClosedError("write_batch");
      buffer.insert(buffer.end(), batch.begin(), batch.end());
      if (buffer.size() >= flush_every) {
        out.write_batch(Batch<Event>(buffer));
        buffer.clear();
      }
    }
    void close() {
      buffer.clear();  // the bug: no final flush
      out.close();
    }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{{appender(config, worker_index), {}, 50}};
  }
};

// SK-3.5: opens a descriptor at build and never closes it.
struct LeaksDescriptor : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "leaks-descriptor";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  Appender build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    [[maybe_unused]] int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // the bug: never closed
    return appender(config, worker_index);
  }
};

// SK-3.6: after close, writes are ignored without an error.
struct AcceptsWritesAfterClose : StoreNode {
  using StoreNode::StoreNode;
  std::string name = "accepts-writes-after-close";
  static constexpr bool router_branch_safe = true;
  static Capabilities capabilities() { return {}; }
  struct Partition {
    Appender out;
    bool closed = false;
    void write_batch(Batch<Event> batch) {
      if (closed) return;  // the bug: silently dropped
      out.write_batch(batch);
    }
    void close() { closed = true; }
  };
  Partition build_partition(const nlohmann::json& config, int worker_index, int, AsyncBridge*, void*) {
    return Partition{appender(config, worker_index)};
  }
};

}  // namespace zoo
