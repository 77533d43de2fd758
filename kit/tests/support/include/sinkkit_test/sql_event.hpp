#pragma once
// How the test payload `Event` maps to a table, for SqliteTableSink<Event>
// (include only where the reference sinks are linked).

#include <array>
#include <cstddef>

#include <sinkkit/sinks/sql_table.hpp>
#include <sinkkit_test/events.hpp>

template <>
struct sinkkit::sinks::SqlTable<sinkkit_test::Event> {
  static constexpr std::array<SqlColumn, 2> columns{{{"key", SqlType::text}, {"value", SqlType::integer}}};
  static constexpr std::size_t unique_key = 0;  // the item key: a replayed row is skipped
  static void bind(const sinkkit_test::Event& e, SqlRowWriter& w) {
    w.text(e.key);
    w.integer(e.value);
  }
  static sinkkit_test::Event read(const SqlRowReader& r) { return {r.text(0), r.integer(1)}; }
  static std::size_t approx_bytes(const sinkkit_test::Event& e) { return sizeof(e) + e.key.size(); }
};
