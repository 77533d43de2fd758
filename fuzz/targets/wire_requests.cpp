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
  if (streamed_error.find("is given twice") != std::string::npos) return 0;  // refused by design
  expect(plain.has_value() == streamed.has_value(), plain ? "only the streaming decoder refused the line"
                                                          : "only the plain decoder refused the line");
  if (!plain) return 0;
  expect(plain->index() == streamed->index(), "the two decoders read different ops");
  if (const auto* batch = std::get_if<wire::WriteBatch>(&*plain)) {
    const auto& other = std::get<wire::WriteBatch>(*streamed);
    expect(taken.empty() || other.items.empty(), "items both taken and kept");
    auto items = taken;
    for (const auto& item : other.items) items.push_back(item);
    expect(items == batch->items, "the streaming decoder's items are not the plain decoder's");
    expect(other.columns == batch->columns && other.partition == batch->partition, "the batch's fields differ");
  } else {
    expect(wire::encode(*plain) == wire::encode(*streamed), "the two decoders read different requests");
  }
  return 0;
}
