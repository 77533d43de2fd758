#pragma once
/// \file
/// `Capabilities`: what a sink promises, which decides how the kit judges it.
///
/// **Example**:
///
///     sinkkit::Capabilities caps;                       // the strictest defaults
///     caps.durability = sinkkit::Durability::on_close;  // a buffered table sink
///     nlohmann::json j = caps;                          // {"delivery": "exactly_once", ...}

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <sinkkit/protocol/errors.hpp>

#include <nlohmann/json.hpp>

namespace sinkkit {
inline namespace protocol {

/// How often an acknowledged item may appear in storage.
enum class Delivery { at_least_once, exactly_once };
/// When an acknowledged item must be readable from storage.
enum class Durability { on_return, on_close };

}  // namespace protocol

namespace detail {
// Explicit, not NLOHMANN_JSON_SERIALIZE_ENUM: that macro maps an unknown string
// to the first enumerator, which would turn a typo into a weaker promise.
template <class Enum, std::size_t N>
Enum enum_from_json(const nlohmann::json& j, std::string_view field,
                    const std::pair<Enum, std::string_view> (&names)[N]) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    for (const auto& [value, name] : names) {
      if (s == name) return value;
    }
  }
  std::string expected;
  for (const auto& [value, name] : names) expected += (expected.empty() ? "" : " | ") + std::string(name);
  throw Error("capabilities." + std::string(field) + ": " + j.dump() + " is not one of " + expected);
}
inline constexpr std::pair<Delivery, std::string_view> kDeliveryNames[] = {
    {Delivery::at_least_once, "at_least_once"}, {Delivery::exactly_once, "exactly_once"}};
inline constexpr std::pair<Durability, std::string_view> kDurabilityNames[] = {
    {Durability::on_return, "on_return"}, {Durability::on_close, "on_close"}};
}  // namespace detail

inline namespace protocol {

/// `"at_least_once"` or `"exactly_once"`.
inline std::string_view to_string(Delivery d) { return detail::kDeliveryNames[static_cast<int>(d)].second; }
/// `"on_return"` or `"on_close"`.
inline std::string_view to_string(Durability d) { return detail::kDurabilityNames[static_cast<int>(d)].second; }
inline void to_json(nlohmann::json& j, Delivery d) { j = to_string(d); }
inline void to_json(nlohmann::json& j, Durability d) { j = to_string(d); }
inline void from_json(const nlohmann::json& j, Delivery& d) {
  d = detail::enum_from_json(j, "delivery", detail::kDeliveryNames);
}
inline void from_json(const nlohmann::json& j, Durability& d) {
  d = detail::enum_from_json(j, "durability", detail::kDurabilityNames);
}

/// What a sink declares about itself. The defaults are the ideal sink's, so a
/// harness states only where its sink is weaker.
struct Capabilities {
  Delivery delivery = Delivery::exactly_once;
  Durability durability = Durability::on_return;
  /// Read-back of one partition keeps the order of its acknowledged batches.
  bool ordered_per_partition = true;
  bool accepts_empty_batches = true;
  /// `build_partition` needs a non-null `AsyncBridge`.
  bool requires_bridge = false;
  /// Acknowledged items survive the worker process being killed.
  bool survives_crash = false;
  /// Largest batch the sink accepts.
  std::size_t max_batch_size = 65'536;
  /// The harness can make the sink's storage fail on demand.
  bool fault_injection = false;

  friend bool operator==(const Capabilities&, const Capabilities&) = default;
};

/// Names match the wire protocol's `capabilities` object.
inline void to_json(nlohmann::json& j, const Capabilities& c) {
  j = nlohmann::json{{"delivery", c.delivery},
                     {"durability", c.durability},
                     {"ordered_per_partition", c.ordered_per_partition},
                     {"accepts_empty_batches", c.accepts_empty_batches},
                     {"requires_bridge", c.requires_bridge},
                     {"survives_crash", c.survives_crash},
                     {"max_batch_size", c.max_batch_size},
                     {"fault_injection", c.fault_injection}};
}

/// Missing names keep their defaults; unknown names are ignored here, so a
/// saved report of a newer kit still reads. A sink's `hello` is stricter: the
/// wire decoder (runners/wire_messages.hpp) refuses an unknown name, since a
/// misspelt capability would silently change what is checked.
inline void from_json(const nlohmann::json& j, Capabilities& c) {
  if (!j.is_object()) throw Error("capabilities: expected an object, got " + j.dump());
  auto take = [&j](std::string_view name, auto& field) {
    auto it = j.find(name);
    if (it == j.end()) return;
    try {
      it->get_to(field);
    } catch (const nlohmann::json::exception&) {
      throw Error("capabilities." + std::string(name) + ": " + it->dump() + " has the wrong type");
    }
  };
  take("delivery", c.delivery);
  take("durability", c.durability);
  take("ordered_per_partition", c.ordered_per_partition);
  take("accepts_empty_batches", c.accepts_empty_batches);
  take("requires_bridge", c.requires_bridge);
  take("survives_crash", c.survives_crash);
  take("max_batch_size", c.max_batch_size);
  take("fault_injection", c.fault_injection);
}

}  // namespace protocol
}  // namespace sinkkit
