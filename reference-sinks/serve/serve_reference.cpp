// sinkkit_serve_reference SINK: serves a bundled C++ reference sink over the
// wire protocol, so the out-of-process path can be checked against the
// in-process one on the same sink. SINK: jsonl | jsonl-fsync-batch | sqlite |
// sqlite-every-batch.

#include <iostream>
#include <string>

#include <sinkkit/runners/wire_server.hpp>
#include <sinkkit/sinks/jsonl_file_sink.hpp>
#include <sinkkit/sinks/sqlite_table_sink.hpp>
#include <sinkkit_test/events.hpp>
#include <sinkkit_test/sql_event.hpp>

// Under ASan: no leak check at exit. The kit starts one of these per worker
// per rule (hundreds per test run), the check was half of each one's CPU
// time, and it cannot fail anything here (the runner only reports a served
// sink's non-zero exit after shutdown). The same sinks and serve_wire are
// leak-checked where a leak fails the test: in process, in the unit and
// conformance tests. ASAN_OPTIONS=detect_leaks=1 still turns it on.
#if defined(__SANITIZE_ADDRESS__)
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }  // NOLINT: the ASan hook's name
#endif

namespace {

using sinkkit_test::Event;

template <class Node>
sinkkit::WireServer<Node> event_server() {
  sinkkit::WireServer<Node> s;
  s.fields = {{"value", "int"}};
  s.from_item = [](const nlohmann::json& j) { return Event{j.at("key").get<std::string>(), j.at("value").get<std::int64_t>()}; };
  s.to_item = [](const Event& e) { return nlohmann::json{{"key", e.key}, {"value", e.value}}; };
  s.read_back = [](const nlohmann::json& config) { return Node::read_back(config); };
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "";
  if (which == "jsonl" || which == "jsonl-fsync-batch") {
    using Node = sinkkit::sinks::JsonlFileSink<Event>;
    auto s = event_server<Node>();
    const nlohmann::json config = {{"dir", "{target}"}, {"fsync", which == "jsonl" ? "never" : "batch"}};
    s.capabilities = Node::capabilities(config);
    s.config_template = config;
    return sinkkit::serve_wire(Node{}, s);
  }
  if (which == "sqlite" || which == "sqlite-every-batch") {
    using Node = sinkkit::sinks::SqliteTableSink<Event>;
    auto s = event_server<Node>();
    nlohmann::json config = {{"path", "{target}/sink.db"}, {"table", "events"}, {"chunk_size", 16},
                             {"buffer_max_records", which == "sqlite" ? 50 : 1}};
    s.capabilities = Node::capabilities(config);
    s.config_template = config;
    return sinkkit::serve_wire(Node{}, s);
  }
  std::cerr << "usage: sinkkit_serve_reference jsonl|jsonl-fsync-batch|sqlite|sqlite-every-batch\n";
  return 2;
}
