#include "wire_responses.hpp"

#include <cstdint>
#include <stdexcept>
#include <utility>

#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/protocol/item_key.hpp>
#include <sinkkit/runners/sink_process.hpp>

namespace sinkkit::detail {

namespace {

std::string quoted_start(const std::string& line) {
  return "'" + line.substr(0, 200) + (line.size() > 200 ? "...'" : "'");
}

// A count or a duration a response reports, if it is a non-negative integer
// (a negative one would cancel another process's count).
std::optional<std::int64_t> count_at(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) {
    if (it->get<std::uint64_t>() > std::uint64_t{INT64_MAX}) return std::nullopt;
    return static_cast<std::int64_t>(it->get<std::uint64_t>());
  }
  const auto n = it->get<std::int64_t>();
  if (n < 0) return std::nullopt;
  return n;
}

}  // namespace

std::optional<std::string> ResponseLines::next() {
  const auto nl = pending_.find('\n');
  if ((nl == std::string::npos ? pending_.size() : nl) > max_line_bytes_) {
    throw WireError(WireError::Kind::too_long,
                    "wrote a response line longer than " + std::to_string(max_line_bytes_) + " bytes");
  }
  if (nl == std::string::npos) return std::nullopt;
  std::string line = pending_.substr(0, nl);
  pending_.erase(0, nl + 1);
  return line;
}

bool ResponseLines::ready() const noexcept {
  return pending_.find('\n') != std::string::npos || pending_.size() > max_line_bytes_;
}

nlohmann::json parse_response_line(const std::string& line) {
  nlohmann::json response;
  try {
    response = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception&) {
    throw WireError(WireError::Kind::malformed, "answered with a line that is not JSON: " + quoted_start(line));
  }
  if (!wire::is_response(response)) {
    throw WireError(WireError::Kind::malformed, "answered without a boolean \"ok\": " + quoted_start(line));
  }
  return response;
}

wire::HelloOk read_hello(const nlohmann::json& response) {
  try {
    return wire::decode_hello_ok(response);
  } catch (const wire::ProtocolError& e) {
    throw WireError(WireError::Kind::protocol, e.what());
  }
}

void throw_if_failed(const nlohmann::json& response) {
  if (auto failure = wire::failure_of(response)) {
    throw RemoteError(std::string(wire::to_string(failure->kind)), failure->message);
  }
}

std::optional<std::int64_t> sink_time_of(const nlohmann::json& response) { return count_at(response, "sink_ns"); }

CloseReport close_report_of(const nlohmann::json& response) {
  CloseReport out;
  if (!response.is_object()) return out;
  out.bridge_in_flight = count_at(response, "bridge_in_flight");
  if (const auto manager = response.find("session_manager"); manager != response.end() && manager->is_object()) {
    const auto disposed = manager->find("disposed");
    out.session_manager_disposed = disposed != manager->end() && *disposed == true;
    out.sessions_leased = count_at(*manager, "leased");
  }
  return out;
}

// Wrapping (unsigned) arithmetic: a read-back may carry any key the sink
// made up, and the kit's own keys are small enough never to wrap.
std::int64_t expected_int(const ItemKey& k) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(k.seq) * 7u + static_cast<std::uint64_t>(k.worker));
}
double expected_float(const ItemKey& k) { return static_cast<double>(k.seq) + 0.25; }
bool expected_bool(const ItemKey& k) { return k.seq % 2 == 0; }
char* write_expected_string(char* out, const ItemKey& k) {
  *out++ = 'v';
  *out++ = ':';
  return write_item_key(out, k);
}

nlohmann::json expected_value(const std::string& type, const ItemKey& k) {
  if (type == "int") return expected_int(k);
  if (type == "float") return expected_float(k);
  if (type == "bool") return expected_bool(k);
  char text[kMaxExpectedStringChars];
  return std::string(text, write_expected_string(text, k));
}

ReadBack read_back_of(const nlohmann::json& response, const std::map<std::string, std::string>& fields) {
  wire::ReadBackOk stored;
  try {
    stored = wire::decode_read_back_ok(response);
  } catch (const wire::ProtocolError& e) {
    throw std::runtime_error(e.what());
  }
  ReadBack out;
  for (const auto& item : stored.items) {
    ItemKey key{-99, -99, -99, -99};  // unparseable: the oracle counts it unexpected
    if (item.is_object() && item.contains("key") && item["key"].is_string()) {
      key = parse_item_key(item["key"].get<std::string>()).value_or(key);
    }
    if (key.worker >= 0) {
      for (const auto& [field, type] : fields) {
        const auto written = expected_value(type, key);
        if (!item.contains(field) || item[field] != written) {
          if (out.corrupted++ == 0) {
            out.first_corruption = "item " + to_string(key) + ": field '" + field + "' is " +
                                   (item.contains(field) ? item[field].dump() : std::string("missing")) +
                                   ", written as " + written.dump();
          }
          break;
        }
      }
    }
    out.keys.push_back(key);
  }
  return out;
}

}  // namespace sinkkit::detail
