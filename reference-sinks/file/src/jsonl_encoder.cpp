#include <sinkkit/sinks/jsonl_encoder.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include <sinkkit/detail/utf8.hpp>
#include <sinkkit/protocol/errors.hpp>

namespace sinkkit::sinks {

namespace {

// Bytes that go out as they are: printable ASCII but the quote and the backslash.
constexpr bool plain(unsigned char c) noexcept { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

void append_escape(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: {
      constexpr char hex[] = "0123456789abcdef";  // lower case, as nlohmann writes it
      const char u[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
      out.append(u, sizeof u);
    }
  }
}

// The length of the run of plain bytes `text` starts with, 8 bytes at a
// time: a key or a label is one or two words, not a branch per byte (the
// sink's per-item cost at large batches, docs/performance.md).
std::size_t plain_prefix(std::string_view text) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  // Some byte of w is >= 0x80, or < 0x20 (exact when none is >= 0x80), or a
  // quote or a backslash (zero after the xor).
  const auto special = [](std::uint64_t w) {
    const auto has_zero_byte = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
    return ((w & highs) | ((w - ones * 0x20) & ~w & highs) | has_zero_byte(w ^ (ones * '"')) |
            has_zero_byte(w ^ (ones * '\\'))) != 0;
  };
  const auto word_at = [&text](std::size_t at) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + at, 8);
    return w;
  };
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    if (special(word_at(i))) break;
  }
  // The last few bytes as the word that ends the text (overlapping the one before).
  if (i < text.size() && text.size() >= 8 && i + 8 > text.size() && !special(word_at(text.size() - 8))) {
    return text.size();
  }
  while (i < text.size() && plain(static_cast<unsigned char>(text[i]))) ++i;
  return i;
}

}  // namespace

void JsonText::grow(std::size_t n) {
  const std::size_t capacity = std::max({capacity_ * 2, size_ + n, std::size_t{4096}});
  auto data = std::make_unique_for_overwrite<char[]>(capacity);
  if (size_ > 0) std::memcpy(data.get(), data_.get(), size_);
  data_ = std::move(data);
  capacity_ = capacity;
}

void append_json_string(JsonText& out, std::string_view text) {
  const std::size_t n = text.size();
  if (plain_prefix(text) == n) {  // the common case: the quotes around one copy, in one room
    char* at = out.room(n + 2);
    at[0] = '"';
    std::memcpy(at + 1, text.data(), n);
    at[n + 1] = '"';
    out.commit(n + 2);
    return;
  }
  std::string escaped;
  append_json_string(escaped, text);
  out.append(escaped);
}

void append_json_string(std::string& out, std::string_view text) {
  const std::size_t n = text.size();
  std::size_t i = plain_prefix(text);
  if (i == n) {  // the common case: the quotes around one copy
    out += '"';
    out.append(text.data(), n);
    out += '"';
    return;
  }
  out += '"';
  out.append(text.data(), i);
  while (i < n) {
    // The common case, a run of plain ASCII, is copied in one append.
    std::size_t run = i;
    while (run < n && plain(static_cast<unsigned char>(text[run]))) ++run;
    out.append(text.data() + i, run - i);
    i = run;
    if (i == n) break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      append_escape(out, c);
      ++i;
      continue;
    }
    const auto seq = sinkkit::detail::utf8_sequence_at(text, i);
    if (seq.length == 0) {
      throw SinkError("invalid UTF-8 at byte " + std::to_string(i) + " of a string (JSON text must be UTF-8)");
    }
    out.append(text.data() + i, seq.length);
    i += seq.length;
  }
  out += '"';
}

}  // namespace sinkkit::sinks
