#pragma once
// The names a header's **Example** may use without declaring them. Each
// generated example TU (scripts/doc_examples.py) includes its header, then
// this file, then `using namespace sinkkit_doc_support;`. The examples are
// compiled, never run or linked: objects are only declared (extern) and
// functions may stay undefined.
//
// Rules of use (docs/architecture.md, "Doc examples"): an example must not
// declare a name this file declares (at namespace scope the two would be
// ambiguous; inside the function body a local simply hides it). Add a name
// here when two or more examples want it and declaring it in the example
// would bury the point of the example.

#include <cassert>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/all.hpp>
#include <sinkkit/runners/harness.hpp>
#include <sinkkit/runners/suite.hpp>
#include <sinkkit/simulation/trace.hpp>

namespace sinkkit_doc_support {

/// The payload of most examples (and of the README).
struct Event {
  std::string key;
  std::int64_t value = 0;
  friend bool operator==(const Event&, const Event&) = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Event, key, value)

/// A user's sink of `Event`s, minimal but complete.
struct MyPartition {
  void write_batch(sinkkit::Batch<Event> items);
  void close();
};
struct MySink {
  using payload_type = Event;
  std::string name = "my_sink";
  static constexpr bool router_branch_safe = true;
  MyPartition build_partition(const nlohmann::json& config, int worker_index, int worker_count,
                              sinkkit::AsyncBridge* bridge, void* session_manager);
  /// What the target of `config` holds, in stored order.
  static std::vector<Event> read_all(const nlohmann::json& config);
};

/// The harness of runners/harness.hpp for `MySink`.
struct MyHarness {
  using node_type = MySink;
  node_type make_node() { return MySink{}; }
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"dir", t.dir.string()}}; }
  std::vector<Event> read_back(const nlohmann::json& config) { return MySink::read_all(config); }
  Event make_item(const sinkkit::ItemKey& k) { return Event{sinkkit::to_string(k), k.seq}; }
  sinkkit::ItemKey key_of(const Event& e) { return sinkkit::parse_item_key(e.key).value_or(sinkkit::ItemKey{}); }
  sinkkit::Capabilities capabilities() { return {}; }
};

/// A storage client a sink might wrap in an AsyncBridge.
struct Db {
  int insert(const std::vector<Event>& rows);  ///< rows inserted
  void flush();
};

extern std::vector<Event> events;  ///< items to write
extern std::vector<Event> batch;   ///< one batch of them
extern nlohmann::json config;      ///< a sink's config
extern nlohmann::json cfg;         ///< the same, where the example is short of room
extern sinkkit::Capabilities caps;
extern sinkkit::Trace trace;                    ///< a simulated run
extern std::vector<sinkkit::ItemKey> stored_keys;  ///< the keys of what storage holds
extern sinkkit::SuiteResult result;             ///< a run of the suite
extern Db db;
extern void* session_manager;  ///< as build_partition receives it

}  // namespace sinkkit_doc_support

// How `Event` maps to a table, for the SQLite sink's examples (only where the
// reference sinks' headers are on the include path).
#if __has_include(<sinkkit/sinks/sql_table.hpp>)
#include <array>
#include <cstddef>

#include <sinkkit/sinks/sql_table.hpp>

template <>
struct sinkkit::sinks::SqlTable<sinkkit_doc_support::Event> {
  static constexpr std::array<SqlColumn, 2> columns{{{"key", SqlType::text}, {"value", SqlType::integer}}};
  static constexpr std::size_t unique_key = 0;
  static void bind(const sinkkit_doc_support::Event& e, SqlRowWriter& w) {
    w.text(e.key);
    w.integer(e.value);
  }
  static sinkkit_doc_support::Event read(const SqlRowReader& r) { return {r.text(0), r.integer(1)}; }
};
#endif
