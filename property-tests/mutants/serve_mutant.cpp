// sinkkit_serve_mutant NAME: a broken C++ sink served over the wire protocol,
// so that the rules which look at a sink process from outside are proven on a
// served sink too. NAME:
//   leaks-descriptor  the JSON Lines reference sink, but every build opens
//                     /dev/null and never closes it (SK-3.5)
//   moves-aside       moves its part aside to rewrite it at every write: a
//                     kill inside the write loses the part (SK-4.3)

#include <fcntl.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include <sinkkit/runners/wire_server.hpp>
#include <sinkkit/sinks/jsonl_file_sink.hpp>
#include <sinkkit_test/events.hpp>

#include "moves_aside_mutant.hpp"

#if defined(__SANITIZE_ADDRESS__)
// As the reference sinks' server: no leak check at exit (it would fail nothing here).
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }  // NOLINT: the ASan hook's name
#endif

namespace {

using sinkkit_test::Event;
using Jsonl = sinkkit::sinks::JsonlFileSink<Event>;

struct LeaksDescriptorPerBuild {
  using payload_type = Event;
  std::string name = "leaks-descriptor";
  static constexpr bool router_branch_safe = true;
  Jsonl inner;
  auto build_partition(const nlohmann::json& config, int worker_index, int worker_count, sinkkit::AsyncBridge* bridge,
                       void* session_manager) {
    [[maybe_unused]] const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // the bug: never closed
    return inner.build_partition(config, worker_index, worker_count, bridge, session_manager);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "";
  if (which == "leaks-descriptor") {
    sinkkit::WireServer<LeaksDescriptorPerBuild> s;
    s.fields = {{"value", "int"}};
    s.from_item = [](const nlohmann::json& j) {
      return Event{j.at("key").get<std::string>(), j.at("value").get<std::int64_t>()};
    };
    s.to_item = [](const Event& e) { return nlohmann::json{{"key", e.key}, {"value", e.value}}; };
    s.read_back = [](const nlohmann::json& config) { return Jsonl::read_back(config); };
    const nlohmann::json config = {{"dir", "{target}"}, {"fsync", "never"}};
    s.capabilities = Jsonl::capabilities(config);
    s.config_template = config;
    return sinkkit::serve_wire(LeaksDescriptorPerBuild{}, s);
  }
  if (which == "moves-aside") {
    sinkkit::WireServer<zoo::MovesItsFileAsideToRewrite> s;
    s.fields = {{"value", "int"}};
    s.from_item = [](const nlohmann::json& j) {
      return Event{j.at("key").get<std::string>(), j.at("value").get<std::int64_t>()};
    };
    s.to_item = [](const Event& e) { return nlohmann::json{{"key", e.key}, {"value", e.value}}; };
    s.read_back = [](const nlohmann::json& config) { return zoo::MovesItsFileAsideToRewrite::read_back(config); };
    s.capabilities = zoo::MovesItsFileAsideToRewrite::capabilities();
    s.config_template = nlohmann::json::object({{"dir", "{target}"}});
    return sinkkit::serve_wire(zoo::MovesItsFileAsideToRewrite{}, s);
  }
  std::cerr << "usage: sinkkit_serve_mutant leaks-descriptor|moves-aside\n";
  return 2;
}
