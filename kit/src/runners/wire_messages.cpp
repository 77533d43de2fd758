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

// The `columns` of a write_batch sent as rows: distinct strings, `key`
// among them.
std::vector<std::string> row_columns(const json& columns) {
  if (!columns.is_array()) throw wire::ProtocolError("request field 'columns' must be an array, got " + shorten(columns));
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& c : columns) {
    if (!c.is_string()) throw wire::ProtocolError("a column name that is not a string: " + shorten(c));
    if (!seen.insert(c.get<std::string>()).second) {
      throw wire::ProtocolError("column '" + c.get<std::string>() + "' is named twice in 'columns'");
    }
    out.push_back(c.get<std::string>());
  }
  if (!seen.contains("key")) throw wire::ProtocolError("'columns' has no \"key\": " + shorten(columns));
  return out;
}

// Rows as the objects they stand for: each row an array with a value per column.
json objects_of_rows(const std::vector<std::string>& columns, const json& rows) {
  json out = json::array();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    if (!row.is_array() || row.size() != columns.size()) {
      throw wire::ProtocolError("item " + std::to_string(i) + " of the batch is not a row of " +
                                std::to_string(columns.size()) + " values: " + shorten(row));
    }
    json item = json::object();
    for (std::size_t c = 0; c < columns.size(); ++c) item[columns[c]] = row[c];
    out.push_back(std::move(item));
  }
  return out;
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

Request decode_request(const json& m) { return decode_request(json(m)); }

Request decode_request(json&& m) {
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
    WriteBatch batch{required_string(m, "partition"), json::array(), {}};
    if (const auto columns = m.find("columns"); columns != m.end()) {
      batch.columns = detail::row_columns(*columns);
      batch.items = detail::objects_of_rows(batch.columns, items);
      return batch;
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_object()) {
        throw ProtocolError("item " + std::to_string(i) + " of the batch is not an object: " + detail::shorten(items[i]));
      }
    }
    batch.items = std::move(m["items"]);
    return batch;
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

Request parse_request(std::string_view line) { return parse_request(line, nullptr); }

namespace {

// parse_request's SAX handler for a server that takes items one at a time.
// The request is built as a DOM (nlohmann's own builder), except the items
// of a write_batch whose "op" came before them: each item object is built
// on its own and handed over; each row's values are moved into one reused
// object (a string into the string already there: no allocation per row),
// which is handed over. Rows come as fast as the parser reads them.
class StreamingRequest {
 public:
  using TakeItem = std::function<void(const json& item, std::size_t index)>;
  explicit StreamingRequest(const TakeItem& take_item) : take_item_(take_item) {}

  json message;
  std::string parse_error_text;  // set when the line is not JSON
  std::size_t taken = 0, first_object = 0;
  std::vector<std::string> columns;

  bool null() {
    return value(nullptr, [](Dom& d) { return d.null(); });
  }
  bool boolean(bool v) {
    return value(v, [v](Dom& d) { return d.boolean(v); });
  }
  bool number_integer(json::number_integer_t v) {
    return value(v, [v](Dom& d) { return d.number_integer(v); });
  }
  bool number_unsigned(json::number_unsigned_t v) {
    return value(v, [v](Dom& d) { return d.number_unsigned(v); });
  }
  bool number_float(json::number_float_t v, const json::string_t& text) {
    return value(v, [&](Dom& d) { return d.number_float(v, text); });
  }
  bool string(json::string_t& v) {
    if (at_ == At::top && depth_ == 1 && key_ == "op") write_batch_ = v == to_string(Op::write_batch);
    if (at_ == At::row && col_ < slots_.size() && slots_[col_]->is_string()) {
      slots_[col_++]->get_ref<std::string&>().assign(v);  // the slot's own buffer, reused
      return true;
    }
    return value(v, [&](Dom& d) { return d.string(v); });
  }
  bool binary(json::binary_t& v) {
    return value(v, [&](Dom& d) { return d.binary(v); });
  }
  bool key(json::string_t& k) {
    if (at_ == At::top) {
      if (depth_ == 1) {
        // A repeated key would be read twice here and once (the last) by a
        // DOM: refused, so both decoders agree on every line they accept.
        if ((k == "op" || k == "items" || k == "columns") && !seen_.insert(k).second) {
          throw ProtocolError("request field '" + k + "' is given twice");
        }
        key_ = k;
      }
      return top_.key(k);
    }
    return sub_->key(k);
  }
  bool start_object(std::size_t n) {
    if (in_items()) {
      if (!columns.empty()) throw not_a_row();
      if (taken == 0) first_object = index_;
      start_sub(At::item);
      ++sub_depth_;
      return sub_->start_object(n);
    }
    return start(n, false);
  }
  bool start_array(std::size_t n) {
    if (in_items() && !columns.empty()) {
      at_ = At::row;
      col_ = 0;
      return true;
    }
    if (at_ == At::top && depth_ == 1) items_ = key_ == "items" && write_batch_;
    return start(n, true);
  }
  bool end_object() { return end(false); }
  bool end_array() {
    if (at_ == At::row) {
      if (col_ != slots_.size()) throw not_a_row();
      take_item_(row_, index_++);
      ++taken;
      at_ = At::top;
      return true;
    }
    return end(true);
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    parse_error_text = e.what();
    return false;
  }

 private:
  using Dom = nlohmann::detail::json_sax_dom_parser<json>;
  enum class At { top, item, row, cell };  // building the request, an item object, a row, a row's container

  bool in_items() const { return at_ == At::top && items_ && depth_ == 2; }
  ProtocolError not_a_row() const {
    return ProtocolError("item " + std::to_string(index_) + " of the batch is not a row of " +
                         std::to_string(columns.size()) + " values");
  }

  // A scalar: into the request, a row's slot, or the item or cell being built.
  template <class V, class Call>
  bool value(const V& v, Call call) {
    switch (at_) {
      case At::top:
        if (in_items()) {
          throw ProtocolError("item " + std::to_string(index_) + " of the batch is not an object: " +
                              detail::shorten(json(v)));
        }
        return call(top_);
      case At::row:
        if (col_ >= slots_.size()) throw not_a_row();
        *slots_[col_++] = v;
        return true;
      default:
        return call(*sub_);
    }
  }

  void start_sub(At at) {
    at_ = at;
    sub_value_ = json();
    sub_.emplace(sub_value_, true);
    sub_depth_ = 0;
  }
  bool start(std::size_t n, bool array) {
    if (at_ == At::row) {  // a row's value that is an object or an array
      if (col_ >= slots_.size()) throw not_a_row();
      start_sub(At::cell);
    }
    if (at_ == At::top) {
      ++depth_;
      return array ? top_.start_array(n) : top_.start_object(n);
    }
    ++sub_depth_;
    return array ? sub_->start_array(n) : sub_->start_object(n);
  }
  bool end(bool array) {
    if (at_ == At::top) {
      const bool columns_ended = array && depth_ == 2 && key_ == "columns" && write_batch_ && index_ == 0;
      if (array && depth_ == 2 && items_) items_ = false;
      if (array && depth_ == 3 && items_) ++index_;  // a row before its columns: kept, decoded with the request
      --depth_;
      const bool ok = array ? top_.end_array() : top_.end_object();
      if (columns_ended) {
        try {
          columns = detail::row_columns(message.at("columns"));
          for (const auto& c : columns) slots_.push_back(&row_[c]);
        } catch (const ProtocolError&) {
          // Not usable columns: the rows are kept, and the request's decoding
          // names the fault as the plain decoder does (a later "columns"
          // would be refused as repeated).
        }
      }
      return ok;
    }
    const bool ok = array ? sub_->end_array() : sub_->end_object();
    if (--sub_depth_ > 0) return ok;
    if (at_ == At::item) {
      take_item_(sub_value_, index_++);
      ++taken;
      at_ = At::top;
    } else {  // a row's container value, done
      *slots_[col_++] = std::move(sub_value_);
      at_ = At::row;
    }
    return ok;
  }

  const TakeItem& take_item_;
  Dom top_{message, true};
  std::optional<Dom> sub_;
  json sub_value_;
  int sub_depth_ = 0;
  At at_ = At::top;
  int depth_ = 0;  // containers open in the request's own DOM
  std::string key_;  // the top-level key being read
  std::set<std::string> seen_;  // of op, items and columns
  bool write_batch_ = false, items_ = false;
  std::size_t index_ = 0, col_ = 0;
  json row_ = json::object();   // each row as its object
  std::vector<json*> slots_;    // row_'s value per column
};

}  // namespace

Request parse_request(std::string_view line,
                      const std::function<void(const nlohmann::json& item, std::size_t index)>& take_item) {
  json message;
  std::size_t taken = 0, first_object = 0;
  bool rows = false;
  std::string not_json;
  if (take_item) {
    StreamingRequest request(take_item);
    if (json::sax_parse(line, &request)) {
      message = std::move(request.message);
      taken = request.taken;
      first_object = request.first_object;
      rows = !request.columns.empty();
    } else {
      not_json = request.parse_error_text.empty() ? "incomplete" : request.parse_error_text;
    }
  } else {
    try {
      message = json::parse(line);
    } catch (const json::exception& e) {  // a parse error, or a number out of range (1e380)
      not_json = e.what();
    }
  }
  if (!not_json.empty()) {
    const auto shown = line.substr(0, 200);
    throw ProtocolError("a request line that is not JSON: '" + std::string(shown) + (line.size() > 200 ? "...'" : "'") +
                        " (" + not_json + ")");
  }
  if (taken > 0 && !rows && message.contains("columns")) {
    throw ProtocolError("item " + std::to_string(first_object) +
                        " of the batch is not a row (an object, and the request has 'columns')");
  }
  return decode_request(std::move(message));
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
  if (!r.item_encodings.empty()) out["item_encodings"] = r.item_encodings;
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
  if (const auto encodings = r.find("item_encodings"); encodings != r.end()) {
    if (!encodings->is_array() || encodings->empty()) throw bad("item_encodings is not a non-empty array");
    for (const auto& e : *encodings) {
      if (!e.is_string()) throw bad("item_encodings holds " + e.dump() + ", not an encoding's name");
      out.item_encodings.push_back(e.get<std::string>());
    }
  }
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
