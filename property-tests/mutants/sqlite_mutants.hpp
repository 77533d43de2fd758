#pragma once
// The buffered table sink's classic bug, on the real SQLite sink's storage
// layer: the buffer is emptied before the INSERT, so when the transaction
// rolls back the rows are gone (rules SK-4.1, SK-4.2).

#include <memory>
#include <string>
#include <vector>

#include <sinkkit/sinks/detail/sqlite_io.hpp>

#include "../harnesses/sqlite_harness.hpp"
#include "mutant_support.hpp"

namespace zoo {

struct SqliteDropsFailedFlush {
  using payload_type = Event;
  using Table = sinkkit::sinks::SqlTable<Event>;
  std::string name = "sqlite-drops-failed-flush";
  static constexpr bool router_branch_safe = true;

  struct Partition {
    std::unique_ptr<sinkkit::sinks::detail::SqliteDb> db;
    std::size_t flush_every;
    std::vector<Event> buffer;
    void flush() {
      auto rows = std::move(buffer);  // the bug: taken out before the insert
      buffer.clear();
      db->insert(rows.size(), [&rows](std::size_t i, sinkkit::sinks::SqlRowWriter& w) { Table::bind(rows[i], w); });
    }
    void write_batch(Batch<Event> batch) {
      if (!db->open()) throw sinkkit::ClosedError("write_batch");
      buffer.insert(buffer.end(), batch.begin(), batch.end());
      if (buffer.size() >= flush_every) flush();
    }
    void close() {
      if (!db->open()) return;
      flush();
      db->close();
    }
  };

  Partition build_partition(const nlohmann::json& config, int, int, AsyncBridge*, void*) {
    auto cfg = sinkkit::sinks::detail::parse_sqlite_config(config, Table::columns.size());
    return Partition{std::make_unique<sinkkit::sinks::detail::SqliteDb>(cfg, Table::columns, Table::unique_key),
                     cfg.buffer_max_records, {}};
  }
};

// The real sink's harness (config, read-back, fault trigger) serving the mutant.
struct SqliteMutantHarness : sinkkit_harnesses::SqliteBufferedHarness {
  using node_type = SqliteDropsFailedFlush;
  node_type make_node() { return {}; }
  std::vector<Event> read_back(const nlohmann::json& config) {
    return sinkkit::sinks::SqliteTableSink<Event>::read_back(config);
  }
};

}  // namespace zoo
