#pragma once
/// \file
/// `ConfigReader`: reads a sink's resolved `streaming.sinks.<name>` section and
/// turns every problem into a `ConfigError` that names the key.
///
/// **Example**:
///
///     sinkkit::ConfigReader cfg(config);
///     std::string dir = cfg.required_string("dir");
///     std::string fsync = cfg.one_of("fsync", {"batch", "close", "never"}, "batch");
///     std::int64_t chunk = cfg.optional_int("chunk_size", 1000, /*min=*/1);
///     cfg.reject_unknown_keys();  // "dri": ConfigError naming 'dri'

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/errors.hpp>

namespace sinkkit {
inline namespace protocol {

/// Typed, validating access to a JSON object config. Every getter records the
/// key as known, so `reject_unknown_keys` can catch typos afterwards.
class ConfigReader {
 public:
  /// Throws `ConfigError` (key `<config>`) unless `config` is a JSON object.
  explicit ConfigReader(const nlohmann::json& config) : config_(config) {
    if (!config_.is_object()) throw ConfigError("<config>", "must be a JSON object, got " + type_of(config_));
  }

  /// True when `key` is present and not null.
  [[nodiscard]] bool has(std::string_view key) const {
    auto it = config_.find(key);
    return it != config_.end() && !it->is_null();
  }

  /// A required non-empty string.
  std::string required_string(std::string_view key) {
    const auto& v = require(key);
    if (!v.is_string()) throw ConfigError(std::string(key), "must be a string, got " + type_of(v));
    auto s = v.get<std::string>();
    if (s.empty()) throw ConfigError(std::string(key), "must not be empty");
    return s;
  }

  /// A string, or `fallback` when absent.
  std::string optional_string(std::string_view key, std::string_view fallback) {
    const auto* v = find(key);
    if (v == nullptr) return std::string(fallback);
    if (!v->is_string()) throw ConfigError(std::string(key), "must be a string, got " + type_of(*v));
    return v->get<std::string>();
  }

  /// A string from a fixed set, or `fallback` when absent.
  std::string one_of(std::string_view key, std::initializer_list<std::string_view> allowed,
                     std::string_view fallback) {
    auto s = optional_string(key, fallback);
    std::string list;
    for (auto a : allowed) {
      if (s == a) return s;
      list += (list.empty() ? "" : " | ") + std::string(a);
    }
    throw ConfigError(std::string(key), "'" + s + "' is not one of " + list);
  }

  /// A boolean, or `fallback` when absent.
  bool optional_bool(std::string_view key, bool fallback) {
    const auto* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) throw ConfigError(std::string(key), "must be true or false, got " + type_of(*v));
    return v->get<bool>();
  }

  /// An integer in [min, max], or `fallback` when absent.
  std::int64_t optional_int(std::string_view key, std::int64_t fallback,
                            std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                            std::int64_t max = std::numeric_limits<std::int64_t>::max()) {
    const auto* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_number_integer()) throw ConfigError(std::string(key), "must be an integer, got " + type_of(*v));
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
      throw ConfigError(std::string(key), "must be at most " + std::to_string(max));
    }
    auto n = v->get<std::int64_t>();
    if (n < min || n > max) {
      throw ConfigError(std::string(key),
                        std::to_string(n) + " is outside [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    return n;
  }

  /// A number (integer or not) in [min, max], or `fallback` when absent.
  double optional_number(std::string_view key, double fallback, double min = -std::numeric_limits<double>::max(),
                         double max = std::numeric_limits<double>::max()) {
    const auto* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_number()) throw ConfigError(std::string(key), "must be a number, got " + type_of(*v));
    auto d = v->get<double>();
    if (!(d >= min && d <= max)) {
      throw ConfigError(std::string(key), v->dump() + " is outside [" + std::to_string(min) + ", " +
                                              std::to_string(max) + "]");
    }
    return d;
  }

  /// Marks `key` as known without reading it (for keys another layer reads).
  void allow(std::string_view key) { known_.emplace(key); }

  /// Throws `ConfigError` naming the first key no getter asked for.
  void reject_unknown_keys() const {
    for (const auto& [key, value] : config_.items()) {
      if (!known_.contains(key)) throw ConfigError(key, "is not a known key (a typo?)");
    }
  }

 private:
  // Null counts as absent only for optional keys: a required key set to null
  // is reported as null, which is what the user wrote.
  const nlohmann::json* find(std::string_view key) {
    known_.emplace(key);
    auto it = config_.find(key);
    if (it == config_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  const nlohmann::json& require(std::string_view key) {
    known_.emplace(key);
    auto it = config_.find(key);
    if (it == config_.end()) throw ConfigError(std::string(key), "is required but missing");
    if (it->is_null()) throw ConfigError(std::string(key), "is required but null");
    return *it;
  }
  static std::string type_of(const nlohmann::json& v) {
    return std::string(v.type_name()) + (v.is_primitive() && !v.is_null() ? " " + v.dump() : "");
  }

  const nlohmann::json& config_;
  std::set<std::string, std::less<>> known_;
};

/// Throws `std::invalid_argument` unless 0 <= worker_index < worker_count:
/// the runtime's part of the `build_partition` contract, checked by sinks that
/// derive storage names from it.
inline void check_worker_args(int worker_index, int worker_count) {
  if (worker_count < 1 || worker_index < 0 || worker_index >= worker_count) {
    throw std::invalid_argument("build_partition: worker_index " + std::to_string(worker_index) +
                                " is not in [0, worker_count=" + std::to_string(worker_count) + ")");
  }
}

}  // namespace protocol
}  // namespace sinkkit
