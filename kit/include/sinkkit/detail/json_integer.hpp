#pragma once
// Integers read from JSON that someone else wrote (saved results, traces, a
// sink's hello). nlohmann's own conversion casts a float to the integer type
// unchecked (undefined behaviour out of range: 1e50 as an int) and wraps an
// integer too large for it; the kit's readers take integers through these,
// which throw std::invalid_argument naming the field instead. Found by
// fuzzing (docs/fuzzing.md). Not API.

#include <concepts>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace sinkkit::detail {

/// `value` as an `Int`, if it is a JSON integer in its range.
template <std::integral Int>
Int json_integer(const nlohmann::json& value, std::string_view what) {
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (std::in_range<Int>(u)) return static_cast<Int>(u);
  } else if (value.is_number_integer()) {
    const auto i = value.get<std::int64_t>();
    if (std::in_range<Int>(i)) return static_cast<Int>(i);
  }
  throw std::invalid_argument(std::string(what) + ": expected an integer in [" +
                              std::to_string(std::numeric_limits<Int>::min()) + ", " +
                              std::to_string(std::numeric_limits<Int>::max()) + "], got " +
                              value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(0, 80));
}

/// `object[key]` as an `Int`; throws as `json_integer`, or nlohmann's
/// out_of_range when the key is missing (as `at`).
template <std::integral Int>
Int json_integer_at(const nlohmann::json& object, const std::string& key) {
  return json_integer<Int>(object.at(key), key);
}

/// `object[key]` as an `Int`, `fallback` when the key is missing.
template <std::integral Int>
Int json_integer_or(const nlohmann::json& object, const std::string& key, Int fallback) {
  const auto it = object.find(key);
  return it == object.end() ? fallback : json_integer<Int>(*it, key);
}

}  // namespace sinkkit::detail
