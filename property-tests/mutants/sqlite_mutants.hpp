#pragma once
// The buffered table sink's classic bug, on the real SQLite sink's storage
// layer: when an INSERT fails (the transaction rolls back), the rows it could
// not store are given up, at close (SK-4.1) or on the next write (SK-4.2).

#include <memory>
#include <string>
#include <vector>

#include <sinkkit/sinks/detail/sqlite_io.hpp>

#include "../harnesses/sqlite_harness.hpp"
#include "fault_mutants.hpp"
#include "mutant_support.hpp"

namespace zoo {

template <GivesUpFailedRows kGivesUp>
struct SqliteDropsFailedFlush {
  using payload_type = Event;
  using Table = sinkkit::sinks::SqlTable<Event>;
  std::string name = "sqlite-drops-failed-flush";
  static constexpr bool router_branch_safe = true;

  struct Partition {
    std::unique_ptr<sinkkit::sinks::detail::SqliteDb> db;
    std::size_t flush_every;
    std::vector<Event> buffer;
    bool failed = false;  // the last insert failed (and rolled back): the buffer holds its rows
    void flush() {
      if (buffer.empty()) return;
      try {
        db->insert(buffer.size(), [this](std::size_t i, sinkkit::sinks::SqlRowWriter& w) { Table::bind(buffer[i], w); });
      } catch (...) {
        failed = true;
        throw;
      }
      buffer.clear();
      failed = false;
    }
    void write_batch(Batch<Event> batch) {
      if (!db->open()) throw sinkkit::ClosedError("write_batch");
      if (failed && kGivesUp == GivesUpFailedRows::on_the_next_write) buffer.clear();  // the bug
      failed = false;
      buffer.insert(buffer.end(), batch.begin(), batch.end());
      if (buffer.size() >= flush_every) flush();
    }
    void close() {
      if (!db->open()) return;
      if (!(failed && kGivesUp == GivesUpFailedRows::at_close)) flush();  // else the bug: given up
      db->close();
    }
  };

  Partition build_partition(const nlohmann::json& config, int, int, AsyncBridge*, void*) {
    auto cfg = sinkkit::sinks::detail::parse_sqlite_config(config, Table::columns.size());
    return Partition{std::make_unique<sinkkit::sinks::detail::SqliteDb>(cfg, Table::columns, Table::unique_key),
                     cfg.buffer_max_records, {}, false};
  }
};

// The real sink's harness (config, read-back, fault trigger) serving the mutant.
template <GivesUpFailedRows kGivesUp>
struct SqliteMutantHarness : sinkkit_harnesses::SqliteBufferedHarness {
  using node_type = SqliteDropsFailedFlush<kGivesUp>;
  node_type make_node() { return {}; }
  std::vector<Event> read_back(const nlohmann::json& config) {
    return sinkkit::sinks::SqliteTableSink<Event>::read_back(config);
  }
};

}  // namespace zoo
