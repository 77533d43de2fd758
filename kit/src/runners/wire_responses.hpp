#pragma once
// What the runner makes of a sink process's stdout, apart from the process:
// the bytes split into bounded lines, each line a response, and each
// response read as the op it answers. Pure functions of their input, so
// that the hostile-input fuzzer (fuzz/wire_responses.cpp) drives the very
// code SinkProcess and WireSink run.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <sinkkit/rules/sink_under_test.hpp>
#include <sinkkit/runners/wire_messages.hpp>

namespace sinkkit::detail {

// A sink's stdout as it arrives, in lines of at most `max_line_bytes`.
class ResponseLines {
 public:
  explicit ResponseLines(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}
  void append(std::string_view bytes) { pending_.append(bytes); }
  // The next complete line (without its '\n'), or nothing yet. Throws
  // WireError(too_long) once the line being read is longer than the bound,
  // whether or not its end has arrived.
  std::optional<std::string> next();
  // True when next() has an answer (a line, or the too_long error) without
  // more bytes: the reader can stop reading.
  [[nodiscard]] bool ready() const noexcept;

 private:
  std::size_t max_line_bytes_;
  std::string pending_;  // bytes after the last line taken
};

// One response line as JSON: an object with a boolean "ok". Throws
// WireError(malformed) naming what the line is instead.
nlohmann::json parse_response_line(const std::string& line);

// hello's answer. Throws WireError(protocol) naming what is missing.
wire::HelloOk read_hello(const nlohmann::json& response);

// An error response as the error the sink meant (an unknown kind is `other`,
// with the sink's word for it in the message): throws RemoteError. Returns
// for an ok response.
void throw_if_failed(const nlohmann::json& response);

// The sink's own time in a write_batch ("sink_ns"), when it reports one
// (a non-negative integer; anything else is ignored, as are the counts of a
// close report).
std::optional<std::int64_t> sink_time_of(const nlohmann::json& response);

// What a close response reports of the borrowed resources (SK-6.1, SK-6.2).
struct CloseReport {
  std::optional<std::int64_t> bridge_in_flight;  // tasks still queued on its bridge
  bool session_manager_disposed = false;
  std::optional<std::int64_t> sessions_leased;
  [[nodiscard]] bool any() const noexcept { return bridge_in_flight || session_manager_disposed || sessions_leased; }
};
CloseReport close_report_of(const nlohmann::json& response);

// The declared payload field `type`'s value for the item with key `k`: what
// the runner writes, and so what it expects to read back. The typed ones
// are its parts, shared with the batch encoder (write_batch_encoder.hpp),
// which writes the same values as text.
nlohmann::json expected_value(const std::string& type, const ItemKey& k);
std::int64_t expected_int(const ItemKey& k);
double expected_float(const ItemKey& k);
bool expected_bool(const ItemKey& k);
// A string field's value, unquoted, written at `out` (room for
// kMaxExpectedStringChars); returns the end.
inline constexpr std::size_t kMaxExpectedStringChars = 2 + kMaxItemKeyChars;
char* write_expected_string(char* out, const ItemKey& k);

// read_back's answer as keys (an unparseable key counts as unexpected) and
// corrupted items (a declared field that is not what was written). Throws
// std::runtime_error for an error response or one without "items".
ReadBack read_back_of(const nlohmann::json& response, const std::map<std::string, std::string>& fields);

}  // namespace sinkkit::detail
