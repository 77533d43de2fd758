#pragma once
/// \file
/// `JsonlEncoder<E>`: how `JsonlFileSink<E>` writes one item as one JSON line.
///
/// The primary template goes through `nlohmann::json` (the type's `to_json`),
/// which builds a tree per item and is the sink's bottleneck at large batches
/// (docs/performance.md). For a hot payload type, specialize it and append the
/// JSON text directly, to a `JsonText` (inline appends, the fastest) or a
/// `std::string`; `append_json_string` and `append_json_integer` do the
/// escaping and the number formatting for either. What the encoder writes must parse
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
///       static void append(sinkkit::sinks::JsonText& out, const Tick& e) {  // or std::string&
///         out += R"({"key":)";
///         sinkkit::sinks::append_json_string(out, e.key);
///         out += R"(,"value":)";
///         sinkkit::sinks::append_json_integer(out, e.value);
///         out += '}';
///       }
///     };

#include <charconv>
#include <concepts>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace sinkkit::sinks {

/// Appends `item` as one line of JSON text (without the newline) to `out`.
/// Throws on an item it cannot encode; the sink names the item's index.
template <class E>
struct JsonlEncoder {
  static void append(std::string& out, const E& item) { out += nlohmann::json(item).dump(); }
};

/// The text a `JsonlEncoder` may append to instead of a `std::string` (its
/// `append` then takes a `JsonText&`): the same appends, inline, into room
/// the sink keeps between batches. A `std::string`'s appends are calls into
/// libstdc++ (its template is instantiated there, not inlined here), and
/// eight of them per item were most of a direct encoder's time
/// (docs/performance.md).
class JsonText {
 public:
  JsonText() = default;
  JsonText(JsonText&& other) noexcept
      : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  JsonText& operator=(JsonText&& other) noexcept {
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    return *this;
  }

  void append(std::string_view s) {
    if (s.empty()) return;
    if (capacity_ - size_ < s.size()) {
      // Text of this buffer's own (out += out.view()) must be found again after it moves.
      const char* base = data_.get();
      const bool own = base != nullptr && !std::less<const char*>()(s.data(), base) &&
                       std::less<const char*>()(s.data(), base + size_);
      const auto offset = own ? static_cast<std::size_t>(s.data() - base) : 0;
      grow(s.size());
      if (own) s = std::string_view(data_.get() + offset, s.size());
    }
    std::memcpy(data_.get() + size_, s.data(), s.size());
    size_ += s.size();
  }
  void append(const char* first, const char* last) { append(std::string_view(first, static_cast<std::size_t>(last - first))); }
  JsonText& operator+=(std::string_view s) {
    append(s);
    return *this;
  }
  JsonText& operator+=(char c) {
    *room(1) = c;
    ++size_;
    return *this;
  }
  /// Room for `n` more bytes at the end: write them, then `commit` what was written.
  char* room(std::size_t n) {
    if (capacity_ - size_ < n) grow(n);
    return data_.get() + size_;
  }
  void commit(std::size_t n) noexcept { size_ += n; }

  [[nodiscard]] std::string_view view() const noexcept { return {data_.get(), size_}; }
  explicit operator std::string_view() const noexcept { return view(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  void clear() noexcept { size_ = 0; }

 private:
  void grow(std::size_t n);
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0, capacity_ = 0;
};

/// Appends `text` as a JSON string literal, quotes included, escaped exactly
/// as `nlohmann::json::dump()` does (so both encoders write the same bytes).
/// Throws `SinkError` if `text` is not valid UTF-8, naming the byte offset.
void append_json_string(std::string& out, std::string_view text);
void append_json_string(JsonText& out, std::string_view text);

/// Appends `value` as a JSON number.
template <std::integral I>
  requires(!std::same_as<I, bool>)
void append_json_integer(std::string& out, I value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}
template <std::integral I>
  requires(!std::same_as<I, bool>)
void append_json_integer(JsonText& out, I value) {
  char* at = out.room(24);
  out.commit(static_cast<std::size_t>(std::to_chars(at, at + 24, value).ptr - at));
}

}  // namespace sinkkit::sinks
