#pragma once
/// \file
/// The messages of the wire protocol, version 1 (docs/wire-protocol.md; the
/// contract is shared/wire-protocol-v1.md), defined once for both ends: the
/// runner's client (`WireSink`) and the C++ sink side (`serve_wire`).
///
/// The contract, in short: JSON Lines, one compact object per line; one
/// response per request, in order. A request names its `op` (`hello`,
/// `build`, `write_batch`, `close`, `read_back`, `fault`, `shutdown`); a
/// response is `{"ok": true, ...}` or `{"ok": false, "error": {"kind": K,
/// "message": M}}` with K one of `config`, `closed`, `write`, `protocol`,
/// `other`. Fields may be added, none removed or renamed, and a reader
/// ignores fields it does not know; the one closed set is the names in a
/// hello's `capabilities`, where an unknown name is an error naming it.
///
/// Encoding gives the JSON object (`to_line` makes the line); decoding takes
/// the object, checks the fields the op needs, and throws
/// `wire::ProtocolError` naming what is missing or mistyped.
///
/// **Example**:
///
///     namespace wire = sinkkit::wire;
///     nlohmann::json request = wire::encode(wire::Fault{.partition = "p0-w0-b0", .after_items = 5});
///     // {"after_items":5,"op":"fault","partition":"p0-w0-b0"}
///     wire::Request decoded = wire::decode_request(request);
///     const auto& fault = std::get<wire::Fault>(decoded);
///     std::string answer = wire::to_line(wire::encode(wire::Failure{wire::ErrorKind::write, "disk full"}));
///     // {"error":{"kind":"write","message":"disk full"},"ok":false}\n
///     if (auto failure = wire::failure_of(nlohmann::json::parse(answer))) {
///       std::cout << wire::to_string(failure->kind) << " at " << fault.after_items << '\n';
///     }

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/capabilities.hpp>

namespace sinkkit {
inline namespace runners {

/// What a sink says about itself in its hello (the `sink` object).
struct WireSinkInfo {
  std::string name;
  bool router_branch_safe = false;
  std::map<std::string, std::string> fields;  ///< payload field -> string | int | float | bool
  Capabilities capabilities;
  std::optional<nlohmann::json> config_template;
};

namespace wire {

/// The version both ends speak; a hello names it.
inline constexpr int kProtocolVersion = 1;

/// The kinds of error response the contract defines.
enum class ErrorKind {
  config,    ///< bad config at build
  closed,    ///< a call on a closed partition
  write,     ///< the storage failed
  protocol,  ///< the request was not understood
  other,     ///< anything else (also any kind a sink names that is not one of these)
};

/// The requests, by their `op`. `collect_garbage`, `drop_target` and the
/// stateful ops (`list_parts`, `route`, `build_part`, `snapshot`: sinks whose
/// hello says `"stateful": true`) are ops added within version 1 (a sink that
/// does not know one answers a protocol error).
enum class Op {
  hello,
  build,
  write_batch,
  close,
  read_back,
  fault,
  shutdown,
  collect_garbage,
  drop_target,
  list_parts,
  route,
  build_part,
  snapshot
};

}  // namespace wire
}  // namespace runners

namespace detail {
inline constexpr std::pair<wire::ErrorKind, std::string_view> kWireErrorKindNames[] = {
    {wire::ErrorKind::config, "config"},     {wire::ErrorKind::closed, "closed"}, {wire::ErrorKind::write, "write"},
    {wire::ErrorKind::protocol, "protocol"}, {wire::ErrorKind::other, "other"}};
inline constexpr std::pair<wire::Op, std::string_view> kWireOpNames[] = {
    {wire::Op::hello, "hello"},         {wire::Op::build, "build"}, {wire::Op::write_batch, "write_batch"},
    {wire::Op::close, "close"},         {wire::Op::read_back, "read_back"}, {wire::Op::fault, "fault"},
    {wire::Op::shutdown, "shutdown"},   {wire::Op::collect_garbage, "collect_garbage"},
    {wire::Op::drop_target, "drop_target"}, {wire::Op::list_parts, "list_parts"},
    {wire::Op::route, "route"},         {wire::Op::build_part, "build_part"}, {wire::Op::snapshot, "snapshot"}};
}  // namespace detail

inline namespace runners {
namespace wire {

/// A message that does not follow the protocol: not JSON, not an object, an
/// unknown op, a required field missing or of the wrong type.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// `"config"`, `"closed"`, `"write"`, `"protocol"` or `"other"`.
[[nodiscard]] constexpr std::string_view to_string(ErrorKind kind) {
  return detail::kWireErrorKindNames[static_cast<int>(kind)].second;
}
/// The kind named `text`, or `nullopt` when the contract has no such kind.
[[nodiscard]] std::optional<ErrorKind> parse_error_kind(std::string_view text);
/// The kind named `text`; a name the contract does not define is `other`.
[[nodiscard]] inline ErrorKind error_kind_from_string(std::string_view text) {
  return parse_error_kind(text).value_or(ErrorKind::other);
}

/// The op's name on the wire, e.g. `"write_batch"`.
[[nodiscard]] constexpr std::string_view to_string(Op op) { return detail::kWireOpNames[static_cast<int>(op)].second; }

// --- requests ---------------------------------------------------------------

/// `{"op": "hello", "protocol": 1}`: first on every process.
struct Hello {
  std::int64_t protocol = kProtocolVersion;
};
/// Builds partition `partition` (named by the runner, unique in the run).
struct Build {
  std::string partition;
  nlohmann::json config = nlohmann::json::object();
  int worker_index = 0;
  int worker_count = 1;
  /// Whether the sink's process hands the partition its async bridge
  /// (`"bridge": false` builds with none, to check SK-1.3; absent: true).
  bool bridge = true;
};
/// `items`: objects with a string `key`, the declared fields, maybe more.
/// Sent as rows (a sink that asked for them at hello), the request names
/// each row's slots in `columns`; decoding turns the rows into those
/// objects, so a server reads one shape, and keeps `columns`.
struct WriteBatch {
  std::string partition;
  nlohmann::json items = nlohmann::json::array();
  std::vector<std::string> columns;  ///< empty: the items came as objects
};
/// May be repeated, and may come with no write before it.
struct Close {
  std::string partition;
};
/// What the target named by `config` durably holds.
struct ReadBack {
  nlohmann::json config = nlohmann::json::object();
};
/// The write that takes `partition` past `after_items` more items fails, once.
struct Fault {
  std::string partition;
  std::int64_t after_items = 0;
};
/// `{"ok": true}`, then the sink process exits 0.
struct Shutdown {};
/// The kit is about to look at the process's descriptors and threads (rule
/// SK-3.5): a process with a garbage collector runs it, so that what only
/// garbage holds is told apart. `{"ok": true}`.
struct CollectGarbage {};
/// Removes what the target named by `config` holds on a server (tables,
/// streams, keys), sent after the target's read-back when the hello said
/// `"drops_targets": true`. `{"ok": true}`.
struct DropTarget {
  nlohmann::json config = nlohmann::json::object();
};

// Stateful partitions (Bytewax's FixedPartitionedSink; rules SK-7.x).
/// The sink's parts for the target of `config`, sorted: `{"ok": true, "parts": [NAME, ...]}`.
struct ListParts {
  nlohmann::json config = nlohmann::json::object();
};
/// The part each key goes to (`parts[part_fn(key) % len(parts)]`):
/// `{"ok": true, "parts": [NAME, ...]}`, one per key.
struct Route {
  nlohmann::json config = nlohmann::json::object();
  std::vector<std::string> keys;
};
/// Builds part `part` as partition `partition` (then written to and closed as
/// any), resuming from `resume_state` (a snapshot the sink gave, as it gave
/// it), or afresh when there is none.
struct BuildPart {
  std::string partition;
  nlohmann::json config = nlohmann::json::object();
  std::string part;
  std::optional<std::string> resume_state;
  int worker_index = 0;
  int worker_count = 1;
};
/// The part's state to resume from after what it was handed so far:
/// `{"ok": true, "state": S}`, S a string (or null) the runner keeps as it is.
struct Snapshot {
  std::string partition;
};

using Request = std::variant<Hello, Build, WriteBatch, Close, ReadBack, Fault, Shutdown, CollectGarbage, DropTarget,
                             ListParts, Route, BuildPart, Snapshot>;

/// The op of a request.
[[nodiscard]] inline Op op_of(const Request& request) { return static_cast<Op>(request.index()); }

[[nodiscard]] nlohmann::json encode(const Request& request);
/// Throws `ProtocolError` when `message` is not a request this version knows.
[[nodiscard]] Request decode_request(const nlohmann::json& message);
/// The same, taking the message's items instead of copying them.
[[nodiscard]] Request decode_request(nlohmann::json&& message);
/// `decode_request` of one line (without its `\n`); a line that is not JSON
/// is a `ProtocolError` too.
[[nodiscard]] Request parse_request(std::string_view line);
/// The same for a server that takes a write_batch's items one at a time:
/// each item goes to `take_item` (with its index) as the parser meets it,
/// instead of into the request's `items`, so a batch never exists twice
/// (as JSON and as payloads). A row comes as the object it stands for, one
/// object reused for every row (valid during the call). Only for a
/// write_batch whose "op" comes before its "items" (and "columns" before
/// them), as the kit sends it; other orders are decoded as `parse_request`
/// does.
[[nodiscard]] Request parse_request(std::string_view line,
                                    const std::function<void(const nlohmann::json& item, std::size_t index)>& take_item);

// --- responses --------------------------------------------------------------

/// `{"ok": true}`: build, write_batch, close, fault, shutdown, collect_garbage, drop_target.
struct Ok {};
/// The answer to hello.
struct HelloOk {
  WireSinkInfo sink;
  /// The process can serve forks of itself (optional, "Fork server" in
  /// docs/wire-protocol.md): the kit then starts the rest that way.
  bool fork_server = false;
  /// The sink answers `drop_target` (optional `"drops_targets": true`).
  bool drops_targets = false;
  /// The sink has stateful partitions and answers their ops (optional
  /// `"stateful": true`).
  bool stateful = false;
  /// The item encodings its write_batch accepts, preferred first (optional
  /// `"item_encodings"`: `"objects"`, v1's, `"rows"` or `"pickle"`; see
  /// docs/wire-protocol.md); empty: objects.
  std::vector<std::string> item_encodings;
};
/// The answer to read_back: stored items in stored order.
struct ReadBackOk {
  nlohmann::json items = nlohmann::json::array();
};
/// `{"ok": false, "error": {"kind": K, "message": M}}`.
struct Failure {
  ErrorKind kind = ErrorKind::other;
  std::string message;
};

[[nodiscard]] nlohmann::json encode(const Ok&);
/// Writes every capability name (fault_injection included) as `sink.capabilities`.
[[nodiscard]] nlohmann::json encode(const HelloOk& response);
[[nodiscard]] nlohmann::json encode(const ReadBackOk& response);
[[nodiscard]] nlohmann::json encode(const Failure& response);

/// True for a JSON object with a boolean `ok`: the least a response is.
[[nodiscard]] bool is_response(const nlohmann::json& message);
/// `nullopt` for `{"ok": true, ...}`, else the failure. An unknown kind is
/// `other`, with the sink's word for it kept at the front of the message; a
/// missing or malformed `error` is `other` too.
[[nodiscard]] std::optional<Failure> failure_of(const nlohmann::json& response);
/// Checks a hello answer as the contract says (protocol 1, `sink.name`,
/// `sink.router_branch_safe`, field types, capability names and values).
[[nodiscard]] HelloOk decode_hello_ok(const nlohmann::json& response);
/// Throws `ProtocolError` when the answer is a failure or has no `items` array.
[[nodiscard]] ReadBackOk decode_read_back_ok(const nlohmann::json& response);

/// The JSON Lines form: compact, `\n` terminated. Invalid UTF-8 in strings
/// is replaced (U+FFFD), so the line is always valid JSON.
[[nodiscard]] std::string to_line(const nlohmann::json& message);

/// The kind a C++ sink's exception is reported as: `ConfigError` config,
/// `ClosedError` closed, `SinkError` write, a `RemoteError` its own kind;
/// `std::invalid_argument` from build is config; any other failure of
/// write_batch or close is the storage's (write), of anything else other.
[[nodiscard]] ErrorKind error_kind_of(const std::exception& error, Op during);

}  // namespace wire
}  // namespace runners
}  // namespace sinkkit
