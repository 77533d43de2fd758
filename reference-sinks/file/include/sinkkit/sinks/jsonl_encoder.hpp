#pragma once
/// \file
/// `JsonlEncoder<E>`: how `JsonlFileSink<E>` writes one item as one JSON line.
///
/// The primary template goes through `nlohmann::json` (the type's `to_json`),
/// which builds a tree per item and is the sink's bottleneck at large batches
/// (docs/performance.md). For a hot payload type, specialize it and append the
/// JSON text directly; `append_json_string` and `append_json_integer` do the
/// escaping and the number formatting. What the encoder writes must parse
/// back through the type's `from_json` (the conformance suite's read-back
/// checks it), and must not contain a raw newline (the sink rejects the batch).
///
/// **Example**:
///
///     struct Tick { std::string key; std::int64_t value = 0; };
///     NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Tick, key, value)  // still used to read back
///
///     template <>
///     struct sinkkit::sinks::JsonlEncoder<Tick> {
///       static void append(std::string& out, const Tick& e) {
///         out += R"({"key":)";
///         sinkkit::sinks::append_json_string(out, e.key);
///         out += R"(,"value":)";
///         sinkkit::sinks::append_json_integer(out, e.value);
///         out += '}';
///       }
///     };

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sinkkit::sinks {

/// Appends `item` as one line of JSON text (without the newline) to `out`.
/// Throws on an item it cannot encode; the sink names the item's index.
template <class E>
struct JsonlEncoder {
  static void append(std::string& out, const E& item) { out += nlohmann::json(item).dump(); }
};

/// Appends `text` as a JSON string literal, quotes included, escaped exactly
/// as `nlohmann::json::dump()` does (so both encoders write the same bytes).
/// Throws `SinkError` if `text` is not valid UTF-8, naming the byte offset.
void append_json_string(std::string& out, std::string_view text);

/// Appends `value` as a JSON number.
template <std::integral I>
  requires(!std::same_as<I, bool>)
void append_json_integer(std::string& out, I value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

}  // namespace sinkkit::sinks
