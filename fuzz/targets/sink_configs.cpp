// A `streaming.sinks.<name>` section, as each reference sink's config reader
// (ConfigReader) takes it at build_partition: the memory and buffered
// memory sinks build a partition (in memory); the JSONL file and SQLite
// table sinks only parse and check theirs (their builds would create files
// wherever a config points). A config is taken or refused with a
// ConfigError that names a key; nothing else may come out.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/async_bridge.hpp>
#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/sinks/buffered_memory_sink.hpp>
#include <sinkkit/sinks/detail/jsonl_file_io.hpp>
#include <sinkkit/sinks/detail/sqlite_io.hpp>
#include <sinkkit/sinks/memory_sink.hpp>
#include <sinkkit_test/events.hpp>

#include "fuzz_support.hpp"

namespace {

using sinkkit::fuzz::expect;

// Calls `build`; a refusal must be a ConfigError naming a key.
template <class Build>
void taken_or_refused(Build&& build) {
  try {
    build();
  } catch (const sinkkit::ConfigError& e) {
    expect(std::string_view(e.what()).starts_with("config key " + sinkkit::ConfigError::quoted(e.key()) + ": "),
           "a ConfigError that does not name its key");
    for (const char c : std::string_view(e.what())) {
      expect(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "a control character in a ConfigError's message");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using Event = sinkkit_test::Event;
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(sinkkit::fuzz::text_of(data, size));
  } catch (const nlohmann::json::exception&) {
    return 0;  // configs reach the sinks parsed (the CLI's --config reports bad JSON itself)
  }
  taken_or_refused([&] {
    sinkkit::sinks::MemorySink<Event> node;
    auto p = node.build_partition(config, 0, 1, nullptr, nullptr);
    p.close();
  });
  static sinkkit::AsyncBridge bridge;
  taken_or_refused([&] {
    sinkkit::sinks::BufferedMemorySink<Event> node;
    auto p = node.build_partition(config, 0, 1, &bridge, nullptr);
    p.close();
  });
  taken_or_refused([&] { (void)sinkkit::sinks::detail::parse_jsonl_config(config); });
  taken_or_refused([&] { (void)sinkkit::sinks::detail::parse_sqlite_config(config, 2); });
  return 0;
}
