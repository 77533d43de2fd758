#pragma once
// Decoding one UTF-8 sequence, for the writers that must either reject
// (the JSON Lines encoder) or replace (the report writers) ill-formed text.
// Not API.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sinkkit::detail {

/// A well-formed sequence: its length in bytes (0: ill-formed) and code point.
struct Utf8Sequence {
  std::size_t length = 0;
  std::uint32_t code_point = 0;
};

/// The sequence starting at `text[i]`, by Unicode's definition of
/// well-formed UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
inline Utf8Sequence utf8_sequence_at(std::string_view text, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char c = byte(0);
  if (c < 0x80) return {1, c};
  std::size_t len = 0;
  std::uint32_t cp = 0, min = 0;
  if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1Fu, min = 0x80;
  else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0Fu, min = 0x800;
  else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07u, min = 0x10000;
  if (len == 0 || i + len > text.size()) return {};
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (byte(k) & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {len, cp};
}

}  // namespace sinkkit::detail
