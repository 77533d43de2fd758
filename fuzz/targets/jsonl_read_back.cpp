// A JSON Lines partition file as a crash left it: read back (complete lines
// only, a torn last line skipped), then reopened by a new partition, which
// cuts the torn tail, and read back again. The repair must cut exactly the
// bytes after the last newline and change nothing a read-back returns; a
// line that is not a stored item may only fail the read-back with a
// SinkError naming its file and line.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/sinks/detail/jsonl_file_io.hpp>
#include <sinkkit/sinks/jsonl_file_sink.hpp>
#include <sinkkit_test/events.hpp>

#include "fuzz_support.hpp"

namespace {

using Event = sinkkit_test::Event;
using Sink = sinkkit::sinks::JsonlFileSink<Event>;
using sinkkit::fuzz::expect;

// The read-back, or the error it gave.
struct Outcome {
  std::optional<std::vector<Event>> items;
  std::string error;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

Outcome read_back(const nlohmann::json& config) {
  try {
    return {Sink::read_back(config), ""};
  } catch (const sinkkit::SinkError& e) {
    expect(std::string_view(e.what()).find("part-w0-b0.jsonl:") != std::string_view::npos,
           "a read-back error that does not name the file and line");
    return {std::nullopt, e.what()};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sinkkit::fuzz::ScratchDir scratch;
  const auto dir = scratch.path() / "target";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto bytes = sinkkit::fuzz::text_of(data, size);
  {
    std::ofstream out(dir / "part-w0-b0.jsonl", std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  const nlohmann::json config = {{"dir", dir.string()}, {"fsync", "never"}};
  const auto before = read_back(config);

  const auto last_newline = bytes.rfind('\n');
  const std::size_t kept = last_newline == std::string_view::npos ? 0 : last_newline + 1;
  {
    // A new partition of worker 0 takes the same file and repairs it.
    auto file = sinkkit::sinks::detail::open_partition_file(dir, 0, sinkkit::sinks::detail::FsyncPolicy::never);
    expect(file.path.filename() == "part-w0-b0.jsonl", "the partition did not reopen its file");
    expect(file.repaired_bytes == bytes.size() - kept, "the repair cut other than the torn tail");
    expect(file.size == kept, "the size after repair is not the complete lines");
    sinkkit::sinks::detail::close_file(file);
  }
  expect(std::filesystem::file_size(dir / "part-w0-b0.jsonl") == kept, "the file was not cut to its complete lines");
  expect(read_back(config) == before, "the repair changed what a read-back returns");
  return 0;
}
