// Builds and runs against the installed package: a structural sink, the
// reference sinks, and the bridge (which lives in the compiled library).
#include <cstdio>
#include <string>
#include <vector>

#include <sinkkit/protocol/all.hpp>
#include <sinkkit/sinks/memory_sink.hpp>

struct Event {
  std::string key;
};

int main() {
  sinkkit::sinks::MemorySink<Event> node;
  static_assert(sinkkit::IntoSink<decltype(node)>);
  sinkkit::AsyncBridge bridge;
  auto p = sinkkit::build_any_partition(node, nlohmann::json::object(), 0, 1, &bridge);
  p.write_batch(std::vector<Event>{{"a"}, {"b"}});
  p.close();
  auto n = bridge.run([&] { return node.read_back(nlohmann::json::object()).size(); });
  std::printf("consumer read back %zu items\n", n);
  return n == 2 ? 0 : 1;
}
