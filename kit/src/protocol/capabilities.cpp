// Capabilities to and from JSON: the wire protocol's `capabilities` object,
// and the sink's declaration as saved in reports.

#include <sinkkit/protocol/capabilities.hpp>

#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/json_integer.hpp>
#include <sinkkit/protocol/errors.hpp>

namespace sinkkit {
inline namespace protocol {

namespace {

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

}  // namespace

void to_json(nlohmann::json& j, Delivery d) { j = to_string(d); }
void to_json(nlohmann::json& j, Durability d) { j = to_string(d); }
void from_json(const nlohmann::json& j, Delivery& d) { d = enum_from_json(j, "delivery", detail::kDeliveryNames); }
void from_json(const nlohmann::json& j, Durability& d) {
  d = enum_from_json(j, "durability", detail::kDurabilityNames);
}

void to_json(nlohmann::json& j, const Capabilities& c) {
  j = nlohmann::json{{"delivery", c.delivery},
                     {"durability", c.durability},
                     {"ordered_per_partition", c.ordered_per_partition},
                     {"accepts_empty_batches", c.accepts_empty_batches},
                     {"requires_bridge", c.requires_bridge},
                     {"survives_crash", c.survives_crash},
                     {"survives_power_loss", c.survives_power_loss},
                     {"max_batch_size", c.max_batch_size},
                     {"fault_injection", c.fault_injection}};
}

void from_json(const nlohmann::json& j, Capabilities& c) {
  if (!j.is_object()) throw Error("capabilities: expected an object, got " + j.dump());
  auto take = [&j](std::string_view name, auto& field) {
    auto it = j.find(name);
    if (it == j.end()) return;
    try {
      using Field = std::remove_reference_t<decltype(field)>;
      if constexpr (std::is_integral_v<Field> && !std::is_same_v<Field, bool>) {
        field = detail::json_integer<Field>(*it, "capabilities." + std::string(name));  // range-checked
      } else {
        it->get_to(field);
      }
    } catch (const std::invalid_argument& e) {
      throw Error(e.what());
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
  take("survives_power_loss", c.survives_power_loss);
  take("max_batch_size", c.max_batch_size);
  take("fault_injection", c.fault_injection);
}

}  // namespace protocol
}  // namespace sinkkit
