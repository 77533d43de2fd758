#pragma once
/// \file
/// `ItemKey`: the identity the kit gives every item it writes, so that the
/// oracle can tell what came back from which partition, epoch and call.
///
/// **Example**:
///
///     sinkkit::ItemKey k{.worker = 1, .branch = 0, .epoch = 7, .seq = 42};
///     std::string s = sinkkit::to_string(k);            // "w1.b0.e7.s42"
///     assert(sinkkit::parse_item_key(s) == k);

#include <charconv>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sinkkit {
inline namespace protocol {

/// Identity of one generated item: the worker and router branch that wrote it,
/// the epoch, and its sequence number within that (worker, branch).
struct ItemKey {
  std::int32_t worker = 0;
  std::int32_t branch = 0;
  std::int64_t epoch = 0;
  std::int64_t seq = 0;

  friend auto operator<=>(const ItemKey&, const ItemKey&) = default;
};

/// The longest `to_string` of a key: four tags, three dots, the digits of
/// two 32-bit and two 64-bit integers with their signs.
inline constexpr std::size_t kMaxItemKeyChars = 4 + 3 + 2 * 11 + 2 * 20;

/// Writes `k` as `to_string` renders it at `out` (room for
/// `kMaxItemKeyChars`), returning the end: the wire's batch encoder writes
/// a key per item, with no allocation.
inline char* write_item_key(char* out, const ItemKey& k) {
  auto field = [&out](char tag, std::int64_t v) {
    *out++ = tag;
    out = std::to_chars(out, out + 20, v).ptr;
  };
  field('w', k.worker);
  *out++ = '.';
  field('b', k.branch);
  *out++ = '.';
  field('e', k.epoch);
  *out++ = '.';
  field('s', k.seq);
  return out;
}

/// Appends `k` as `to_string` renders it.
inline void append_item_key(std::string& out, const ItemKey& k) {
  char text[kMaxItemKeyChars];
  out.append(text, write_item_key(text, k));
}

/// Renders `k` as `w<worker>.b<branch>.e<epoch>.s<seq>`, the form used in
/// traces, reports and the wire protocol's `key` field.
inline std::string to_string(const ItemKey& k) {
  std::string out;
  append_item_key(out, k);
  return out;
}

/// Parses the form `to_string` writes; `nullopt` for anything else.
inline std::optional<ItemKey> parse_item_key(std::string_view s) {
  ItemKey k;
  const char* p = s.data();
  const char* end = s.data() + s.size();
  auto field = [&](char tag, auto& out, bool last) {
    if (p == end || *p != tag) return false;
    ++p;
    auto [next, ec] = std::from_chars(p, end, out);
    if (ec != std::errc{} || next == p) return false;
    p = next;
    if (last) return p == end;
    if (p == end || *p != '.') return false;
    ++p;
    return true;
  };
  if (field('w', k.worker, false) && field('b', k.branch, false) && field('e', k.epoch, false) &&
      field('s', k.seq, true)) {
    return k;
  }
  return std::nullopt;
}

}  // namespace protocol
}  // namespace sinkkit

template <>
struct std::hash<sinkkit::ItemKey> {
  std::size_t operator()(const sinkkit::ItemKey& k) const noexcept {
    // The splitmix64 finaliser after each field: keys are dense small
    // integers, which a plain xor-shift combine would collide on.
    auto mix = [](std::uint64_t x) {
      x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
      x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
      return x ^ (x >> 31);
    };
    std::uint64_t h = mix(static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.worker)) << 32 |
                          static_cast<std::uint32_t>(k.branch));
    h = mix(h ^ static_cast<std::uint64_t>(k.epoch));
    h = mix(h ^ static_cast<std::uint64_t>(k.seq));
    return static_cast<std::size_t>(h);
  }
};
