#include <sinkkit/sinks/jsonl_encoder.hpp>

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

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  std::size_t i = 0;
  const std::size_t n = text.size();
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
