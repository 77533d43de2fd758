#include <sinkkit/runners/wire_messages.hpp>

#include <cstdint>
#include <set>

#include <sinkkit/protocol/errors.hpp>

namespace sinkkit {

namespace detail {
namespace {

using nlohmann::json;

std::string shorten(const json& j, std::size_t limit = 300) {
  auto text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > limit) text = text.substr(0, limit) + "...";
  return text;
}

// Required request fields: the contract says what each op carries, and a
// request without it is not understood (kind protocol).
const json& required(const json& message, std::string_view field) {
  auto it = message.find(field);
  if (it == message.end()) {
    throw wire::ProtocolError("request field '" + std::string(field) + "' is missing in " + shorten(message));
  }
  return *it;
}

std::string required_string(const json& message, std::string_view field) {
  const auto& v = required(message, field);
  if (!v.is_string()) {
    throw wire::ProtocolError("request field '" + std::string(field) + "' must be a string, got " + shorten(v));
  }
  return v.get<std::string>();
}

// Integers only: JSON floats and booleans are not counts.
std::int64_t required_integer(const json& message, std::string_view field) {
  const auto& v = required(message, field);
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t{INT64_MAX})) {
    throw wire::ProtocolError("request field '" + std::string(field) + "' must be an integer, got " + shorten(v));
  }
  return v.get<std::int64_t>();
}

int required_int(const json& message, std::string_view field) {
  const auto v = required_integer(message, field);
  if (v < INT32_MIN || v > INT32_MAX) {
    throw wire::ProtocolError("request field '" + std::string(field) + "' is out of range: " + std::to_string(v));
  }
  return static_cast<int>(v);
}

// The closed set of capability names: exactly those Capabilities writes.
const std::set<std::string>& capability_names() {
  static const std::set<std::string> names = [] {
    std::set<std::string> out;
    const json defaults = Capabilities{};  // named: items() of a temporary would dangle in the loop
    for (const auto& [name, value] : defaults.items()) out.insert(name);
    return out;
  }();
  return names;
}

}  // namespace
}  // namespace detail

inline namespace runners {
namespace wire {

using nlohmann::json;

std::optional<ErrorKind> parse_error_kind(std::string_view text) {
  for (const auto& [kind, name] : detail::kWireErrorKindNames) {
    if (name == text) return kind;
  }
  return std::nullopt;
}

json encode(const Request& request) {
  json j = {{"op", to_string(op_of(request))}};
  std::visit(
      [&j](const auto& r) {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, Hello>) {
          j["protocol"] = r.protocol;
        } else if constexpr (std::is_same_v<R, Build>) {
          j["partition"] = r.partition;
          j["config"] = r.config;
          j["worker_index"] = r.worker_index;
          j["worker_count"] = r.worker_count;
          j["bridge"] = r.bridge;
        } else if constexpr (std::is_same_v<R, WriteBatch>) {
          j["partition"] = r.partition;
          j["items"] = r.items;
        } else if constexpr (std::is_same_v<R, Close>) {
          j["partition"] = r.partition;
        } else if constexpr (std::is_same_v<R, ReadBack> || std::is_same_v<R, DropTarget> ||
                             std::is_same_v<R, ListParts>) {
          j["config"] = r.config;
        } else if constexpr (std::is_same_v<R, Route>) {
          j["config"] = r.config;
          j["keys"] = r.keys;
        } else if constexpr (std::is_same_v<R, BuildPart>) {
          j["partition"] = r.partition;
          j["config"] = r.config;
          j["part"] = r.part;
          j["resume_state"] = r.resume_state ? nlohmann::json(*r.resume_state) : nlohmann::json(nullptr);
          j["worker_index"] = r.worker_index;
          j["worker_count"] = r.worker_count;
        } else if constexpr (std::is_same_v<R, Snapshot>) {
          j["partition"] = r.partition;
        } else if constexpr (std::is_same_v<R, Fault>) {
          j["partition"] = r.partition;
          j["after_items"] = r.after_items;
        } else {
          static_assert(std::is_same_v<R, Shutdown> || std::is_same_v<R, CollectGarbage>);
        }
      },
      request);
  return j;
}

Request decode_request(const json& m) {
  using detail::required;
  using detail::required_int;
  using detail::required_integer;
  using detail::required_string;
  if (!m.is_object()) throw ProtocolError("a request must be a JSON object, got " + detail::shorten(m));
  const auto op = required_string(m, "op");
  if (op == to_string(Op::hello)) return Hello{required_integer(m, "protocol")};
  if (op == to_string(Op::build)) {
    const auto bridge = m.find("bridge");
    if (bridge != m.end() && !bridge->is_boolean()) {
      throw ProtocolError("request field 'bridge' must be a boolean, got " + detail::shorten(*bridge));
    }
    return Build{required_string(m, "partition"), required(m, "config"), required_int(m, "worker_index"),
                 required_int(m, "worker_count"), bridge == m.end() || bridge->get<bool>()};
  }
  if (op == to_string(Op::write_batch)) {
    const auto& items = required(m, "items");
    if (!items.is_array()) throw ProtocolError("request field 'items' must be an array, got " + detail::shorten(items));
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_object()) {
        throw ProtocolError("item " + std::to_string(i) + " of the batch is not an object: " + detail::shorten(items[i]));
      }
    }
    return WriteBatch{required_string(m, "partition"), items};
  }
  if (op == to_string(Op::close)) return Close{required_string(m, "partition")};
  if (op == to_string(Op::read_back)) return ReadBack{required(m, "config")};
  if (op == to_string(Op::fault)) return Fault{required_string(m, "partition"), required_integer(m, "after_items")};
  if (op == to_string(Op::shutdown)) return Shutdown{};
  if (op == to_string(Op::collect_garbage)) return CollectGarbage{};
  if (op == to_string(Op::drop_target)) return DropTarget{required(m, "config")};
  if (op == to_string(Op::list_parts)) return ListParts{required(m, "config")};
  if (op == to_string(Op::route)) {
    const auto& keys = required(m, "keys");
    Route r{required(m, "config"), {}};
    if (!keys.is_array()) throw ProtocolError("request field 'keys' must be an array, got " + detail::shorten(keys));
    for (const auto& k : keys) {
      if (!k.is_string()) throw ProtocolError("a key that is not a string: " + detail::shorten(k));
      r.keys.push_back(k.get<std::string>());
    }
    return r;
  }
  if (op == to_string(Op::build_part)) {
    const auto& state = required(m, "resume_state");
    if (!state.is_null() && !state.is_string()) {
      throw ProtocolError("request field 'resume_state' must be a string or null, got " + detail::shorten(state));
    }
    return BuildPart{required_string(m, "partition"), required(m, "config"), required_string(m, "part"),
                     state.is_null() ? std::nullopt : std::optional<std::string>(state.get<std::string>()),
                     required_int(m, "worker_index"), required_int(m, "worker_count")};
  }
  if (op == to_string(Op::snapshot)) return Snapshot{required_string(m, "partition")};
  throw ProtocolError("unknown op '" + op + "'");
}

Request parse_request(std::string_view line) {
  json message;
  try {
    message = json::parse(line);
  } catch (const json::parse_error& e) {
    const auto shown = line.substr(0, 200);
    throw ProtocolError("a request line that is not JSON: '" + std::string(shown) + (line.size() > 200 ? "...'" : "'") +
                        " (" + e.what() + ")");
  }
  return decode_request(message);
}

json encode(const Ok&) { return {{"ok", true}}; }

json encode(const HelloOk& r) {
  json sink = {{"name", r.sink.name},
               {"router_branch_safe", r.sink.router_branch_safe},
               {"payload", {{"fields", r.sink.fields}}},
               {"capabilities", r.sink.capabilities}};
  if (r.sink.config_template) sink["config_template"] = *r.sink.config_template;
  json out = {{"ok", true}, {"protocol", kProtocolVersion}, {"sink", std::move(sink)}};
  if (r.fork_server) out["fork_server"] = true;
  if (r.drops_targets) out["drops_targets"] = true;
  if (r.stateful) out["stateful"] = true;
  return out;
}

json encode(const ReadBackOk& r) { return {{"ok", true}, {"items", r.items}}; }

json encode(const Failure& r) {
  return {{"ok", false}, {"error", {{"kind", to_string(r.kind)}, {"message", r.message}}}};
}

bool is_response(const json& m) {
  if (!m.is_object()) return false;
  auto it = m.find("ok");
  return it != m.end() && it->is_boolean();
}

std::optional<Failure> failure_of(const json& r) {
  if (is_response(r) && r["ok"].get<bool>()) return std::nullopt;
  if (!is_response(r)) return Failure{ErrorKind::other, "not a response: " + detail::shorten(r)};
  const auto it = r.find("error");
  if (it == r.end() || !it->is_object()) {
    return Failure{ErrorKind::other, it == r.end() ? "(the sink gave no error)" : "error: " + detail::shorten(*it)};
  }
  const auto& error = *it;
  Failure f;
  if (auto m = error.find("message"); m != error.end()) f.message = m->is_string() ? m->get<std::string>() : m->dump();
  if (f.message.empty()) f.message = "(the sink gave no message)";
  const auto k = error.find("kind");
  const std::string kind_text = k == error.end() ? "" : k->is_string() ? k->get<std::string>() : k->dump();
  if (auto kind = parse_error_kind(kind_text)) {
    f.kind = *kind;
  } else {
    // Kept in the message: the sink meant something by it.
    f.message = (kind_text.empty() ? "[no error kind] " : "[error kind '" + kind_text + "'] ") + f.message;
  }
  return f;
}

HelloOk decode_hello_ok(const json& r) {
  auto bad = [&r](const std::string& what) {
    return ProtocolError("hello: " + what + " in " + detail::shorten(r));
  };
  if (!is_response(r) || !r["ok"].get<bool>()) throw bad("the sink refused hello");
  if (!r.contains("protocol") || r["protocol"] != kProtocolVersion) {
    throw bad("protocol is not " + std::to_string(kProtocolVersion));
  }
  if (!r.contains("sink") || !r["sink"].is_object()) throw bad("no \"sink\" object");
  const auto& s = r["sink"];
  HelloOk out;
  auto& info = out.sink;
  if (!s.contains("name") || !s["name"].is_string()) throw bad("sink.name is not a string");
  info.name = s["name"];
  if (!s.contains("router_branch_safe") || !s["router_branch_safe"].is_boolean()) {
    throw bad("sink.router_branch_safe is not a boolean");
  }
  info.router_branch_safe = s["router_branch_safe"];
  const auto payload = s.value("payload", json::object());
  if (!payload.is_object()) throw bad("sink.payload is not an object");
  const auto fields = payload.value("fields", json::object());
  if (!fields.is_object()) throw bad("sink.payload.fields is not an object");
  for (const auto& [field, type] : fields.items()) {
    if (field == "key") throw bad("payload field \"key\" is the runner's");
    if (!type.is_string() || (type != "string" && type != "int" && type != "float" && type != "bool")) {
      throw bad("payload field '" + field + "' has type " + type.dump() + " (string, int, float or bool)");
    }
    info.fields[field] = type;
  }
  const auto capabilities = s.value("capabilities", json::object());
  if (!capabilities.is_object()) throw bad("sink.capabilities is not an object");
  // A misspelt capability would silently change what is checked.
  for (const auto& [name, value] : capabilities.items()) {
    if (!detail::capability_names().contains(name)) {
      std::string known;
      for (const auto& n : detail::capability_names()) known += (known.empty() ? "" : ", ") + n;
      throw bad("unknown capability '" + name + "' (the known ones: " + known + ")");
    }
  }
  try {
    info.capabilities = capabilities.get<Capabilities>();
  } catch (const std::exception& e) {
    throw bad(e.what());
  }
  if (s.contains("config_template")) {
    if (!s["config_template"].is_object()) throw bad("sink.config_template is not an object");
    info.config_template = s["config_template"];
  }
  // Optional top-level flags added within version 1.
  auto flag = [&](const char* name, bool& field) {
    if (!r.contains(name)) return;
    if (!r[name].is_boolean()) throw bad(std::string(name) + " is not a boolean");
    field = r[name];
  };
  flag("fork_server", out.fork_server);
  flag("drops_targets", out.drops_targets);
  flag("stateful", out.stateful);
  return out;
}

ReadBackOk decode_read_back_ok(const json& r) {
  if (auto failure = failure_of(r)) {
    throw ProtocolError("read_back failed: " + std::string(to_string(failure->kind)) + ": " + failure->message);
  }
  const auto it = r.find("items");
  if (it == r.end() || !it->is_array()) throw ProtocolError("read_back answered without an items array");
  return ReadBackOk{*it};
}

std::string to_line(const json& message) {
  return message.dump(-1, ' ', false, json::error_handler_t::replace) + '\n';
}

ErrorKind error_kind_of(const std::exception& error, Op during) {
  if (dynamic_cast<const ConfigError*>(&error) != nullptr) return ErrorKind::config;
  if (dynamic_cast<const ClosedError*>(&error) != nullptr) return ErrorKind::closed;
  if (dynamic_cast<const SinkError*>(&error) != nullptr) return ErrorKind::write;
  if (const auto* remote = dynamic_cast<const RemoteError*>(&error)) return error_kind_from_string(remote->kind());
  if (dynamic_cast<const ProtocolError*>(&error) != nullptr) return ErrorKind::protocol;
  if (during == Op::build && dynamic_cast<const std::invalid_argument*>(&error) != nullptr) return ErrorKind::config;
  if (during == Op::write_batch || during == Op::close) return ErrorKind::write;
  return ErrorKind::other;
}

}  // namespace wire
}  // namespace runners
}  // namespace sinkkit
