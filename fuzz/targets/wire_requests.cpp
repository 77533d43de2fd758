// A request line, as a C++ sink's serve_wire reads it: the streaming decoder
// (parse_request with take_item: items handed over as the parser meets
// them, rows moved into one reused object) must decode every line exactly
// as the plain one does (parse_request: the whole DOM, then decode). Both
// refuse the same lines (a ProtocolError, nothing else), and for an
// accepted write_batch the items taken, then the ones kept, are the plain
// decoder's items, in order, with indices 0, 1, 2, ...
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>
#include <sinkkit/runners/wire_messages.hpp>

#include "fuzz_support.hpp"

namespace {

namespace wire = sinkkit::wire;
using sinkkit::fuzz::expect;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto line = sinkkit::fuzz::text_of(data, size);
  std::optional<wire::Request> plain, streamed;
  std::string plain_error, streamed_error;
  try {
    plain = wire::parse_request(line);
  } catch (const wire::ProtocolError& e) {
    plain_error = e.what();
  }
  nlohmann::json taken = nlohmann::json::array();
  std::size_t next_index = 0;
  try {
    streamed = wire::parse_request(line, [&](const nlohmann::json& item, std::size_t index) {
      expect(index == next_index++, "items were handed over out of order");
      taken.push_back(item);
    });
  } catch (const wire::ProtocolError& e) {
    streamed_error = e.what();
  }
  // Refused by design (a repeated op, items or columns), and said so in these words only.
  if (streamed_error.starts_with("request field '") && streamed_error.ends_with("' is given twice")) return 0;
  expect(plain.has_value() == streamed.has_value(), plain ? "only the streaming decoder refused the line"
                                                          : "only the plain decoder refused the line");
  if (!plain) return 0;
  expect(plain->index() == streamed->index(), "the two decoders read different ops");
  if (const auto* batch = std::get_if<wire::WriteBatch>(&*plain)) {
    const auto& other = std::get<wire::WriteBatch>(*streamed);
    expect(taken.empty() || other.items.empty(), "items both taken and kept");
    auto items = taken;
    for (const auto& item : other.items) items.push_back(item);
    // As text: json's == takes 1, 1u and 1.0 for one value.
    expect(items.dump() == batch->items.dump(), "the streaming decoder's items are not the plain decoder's");
    expect(other.columns == batch->columns && other.partition == batch->partition, "the batch's fields differ");
  } else {
    expect(wire::encode(*plain).dump() == wire::encode(*streamed).dump(), "the two decoders read different requests");
  }
  return 0;
}
