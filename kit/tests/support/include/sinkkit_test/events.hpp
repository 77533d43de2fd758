#pragma once
// Payload types the kit's own tests write: a base event, and subtypes that
// stress contravariant acceptance (larger, non-first base, virtual base).

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>
#include <utility>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/json_integer.hpp>
#include <sinkkit/protocol/item_key.hpp>

namespace sinkkit_test {

struct Event {
  std::string key;
  std::int64_t value = 0;
  friend bool operator==(const Event&, const Event&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Event& e) { return os << e.key << "=" << e.value; }
};
inline void to_json(nlohmann::json& j, const Event& e) { j = {{"key", e.key}, {"value", e.value}}; }
// `value` range-checked: nlohmann's own conversion of a stored float out of
// range is undefined behaviour (found by fuzzing the JSONL read-back).
inline void from_json(const nlohmann::json& j, Event& e) {
  e.key = j.at("key").get<std::string>();
  e.value = sinkkit::detail::json_integer_at<std::int64_t>(j, "value");
}

// Polymorphic, so it carries a vptr and puts Event at a non-zero offset below.
struct Audit {
  Audit() = default;
  Audit(const Audit&) = default;
  Audit& operator=(const Audit&) = default;
  virtual ~Audit() = default;
  std::uint64_t audit_id = 0xA0D17;
  double weight = 1.5;
};

// Event is the second base: a Batch<Event> must step over Audit every time.
struct TaggedEvent : Audit, Event {
  std::string tag = "tag";
  std::array<char, 24> pad{};
};

// Event first, but the subtype is much larger: the stride is not sizeof(Event).
struct WideEvent : Event {
  std::array<std::uint64_t, 8> extra{1, 2, 3, 4, 5, 6, 7, 8};
};

// Event as a virtual base: its offset is known only to the object.
struct VirtualEvent : virtual Event {
  VirtualEvent() = default;
  VirtualEvent(const VirtualEvent&) = default;
  VirtualEvent(VirtualEvent&&) = default;
  // Written out: a defaulted move-assign through a virtual base draws -Wvirtual-move-assign.
  VirtualEvent& operator=(const VirtualEvent& o) {
    Event::operator=(o);
    shard = o.shard;
    return *this;
  }
  VirtualEvent& operator=(VirtualEvent&& o) noexcept {
    Event::operator=(std::move(o));
    shard = o.shard;
    return *this;
  }
  ~VirtualEvent() = default;
  std::int32_t shard = 3;
};

struct Unrelated {
  std::string key;
  std::int64_t value = 0;
};

// Event as a private base: not a subtype from the outside.
struct PrivateEvent : private Event {};

// The kit's item for a key, and back: the key is the event's `key` field.
inline Event event_for(const sinkkit::ItemKey& k) { return Event{sinkkit::to_string(k), k.seq}; }
inline sinkkit::ItemKey key_of(const Event& e) {
  // An unparseable key maps to one no run writes, so the oracle counts it unexpected.
  return sinkkit::parse_item_key(e.key).value_or(sinkkit::ItemKey{-99, -99, -99, -99});
}
inline std::vector<sinkkit::ItemKey> keys_of(const std::vector<Event>& events) {
  std::vector<sinkkit::ItemKey> keys;
  keys.reserve(events.size());
  for (const auto& e : events) keys.push_back(key_of(e));
  return keys;
}

inline Event make_event(std::int64_t i) { return Event{"k" + std::to_string(i), i}; }

template <class D>
D make_as(std::int64_t i) {
  D d;
  static_cast<Event&>(d) = make_event(i);
  return d;
}

}  // namespace sinkkit_test
