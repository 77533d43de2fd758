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
#include <string_view>
#include <utility>

// Declarations only: the (de)serialisers are compiled in the kit, so a header
// that needs Capabilities does not parse all of nlohmann/json.
#include <nlohmann/json_fwd.hpp>

namespace sinkkit {
inline namespace protocol {

/// How often an acknowledged item may appear in storage.
enum class Delivery { at_least_once, exactly_once };
/// When an acknowledged item must be readable from storage.
enum class Durability { on_return, on_close };

}  // namespace protocol

namespace detail {
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
void to_json(nlohmann::json& j, Delivery d);
void to_json(nlohmann::json& j, Durability d);
/// Throws `Error` naming the field and the allowed names for any other value
/// (not NLOHMANN_JSON_SERIALIZE_ENUM, which maps an unknown string to the
/// first enumerator and so would turn a typo into a weaker promise).
void from_json(const nlohmann::json& j, Delivery& d);
void from_json(const nlohmann::json& j, Durability& d);

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
  /// What the durability class says is durable survives a power cut, not
  /// only a killed process: the sink fsyncs its data, and the directories of
  /// the names it creates, before it acknowledges (rule SK-4.6). A power cut
  /// is a kill and more, so it promises `survives_crash` too.
  bool survives_power_loss = false;
  /// Largest batch the sink accepts.
  std::size_t max_batch_size = 65'536;
  /// The harness can make the sink's storage fail on demand.
  bool fault_injection = false;

  /// Whether a killed worker keeps what was acknowledged: declared, or
  /// implied by surviving a power cut.
  [[nodiscard]] bool promises_crash_survival() const { return survives_crash || survives_power_loss; }

  friend bool operator==(const Capabilities&, const Capabilities&) = default;
};

/// Names match the wire protocol's `capabilities` object.
void to_json(nlohmann::json& j, const Capabilities& c);

/// Missing names keep their defaults; unknown names are ignored here, so a
/// saved report of a newer kit still reads. A sink's `hello` is stricter: the
/// wire decoder (runners/wire_messages.hpp) refuses an unknown name, since a
/// misspelt capability would silently change what is checked. Throws `Error`
/// naming the field whose value has the wrong type or name.
void from_json(const nlohmann::json& j, Capabilities& c);

}  // namespace protocol
}  // namespace sinkkit
