#include "write_batch_encoder.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "wire_responses.hpp"

namespace sinkkit::detail {

namespace {

std::string json_quoted(std::string_view text) { return nlohmann::json(std::string(text)).dump(); }

// The longest number a field's value can be: to_chars of an int64 (20), or
// of a double in its shortest form (24) and ".0".
constexpr std::size_t kMaxNumberChars = 26;

char* put(char* p, std::string_view text) {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

char* write_number(char* p, std::int64_t value) { return std::to_chars(p, p + kMaxNumberChars, value).ptr; }

char* write_number(char* p, double value) {
  char* end = std::to_chars(p, p + kMaxNumberChars - 2, value).ptr;
  // Shortest round-trip form; a float must still read as one (3.0, not 3).
  if (std::memchr(p, '.', static_cast<std::size_t>(end - p)) == nullptr &&
      std::memchr(p, 'e', static_cast<std::size_t>(end - p)) == nullptr) {
    end = put(end, ".0");
  }
  return end;
}

// Pickle (protocol 4), only the opcodes docs/wire-protocol.md lists: no
// class, global or reduce, so a decoder that refuses every class reads it.
namespace pickle_op {
constexpr char mark = '(', stop = '.', pop = '0', empty_list = ']', appends = 'e', empty_dict = '}', setitems = 'u';
constexpr char binint = 'J', long1 = '\x8a', binfloat = 'G', newtrue = '\x88', newfalse = '\x89';
constexpr char short_binunicode = '\x8c', binunicode = 'X', memoize = '\x94', binget = 'h', long_binget = 'j';
constexpr std::string_view proto_frame = "\x80\x04\x95";  // PROTO 4, FRAME (8 bytes of length follow)
}  // namespace pickle_op
constexpr std::size_t kFrameHeader = 3 + 8;
constexpr std::size_t kItemsBytesDigits = 20;  // room for any size_t, patched in by end()
// The longest pickled string the items hold (the key, a string field) fits
// SHORT_BINUNICODE's one-byte length.
static_assert(kMaxExpectedStringChars < 256 && kMaxItemKeyChars < 256);

char* put_le(char* p, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) *p++ = static_cast<char>((v >> (8 * i)) & 0xFF);
  return p;
}

char* pickle_int(char* p, std::int64_t v) {
  if (v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max()) {
    *p++ = pickle_op::binint;
    return put_le(p, static_cast<std::uint32_t>(static_cast<std::int32_t>(v)), 4);
  }
  *p++ = pickle_op::long1;
  *p++ = 8;  // little-endian two's complement
  return put_le(p, static_cast<std::uint64_t>(v), 8);
}

char* pickle_float(char* p, double v) {
  *p++ = pickle_op::binfloat;
  const auto bits = std::bit_cast<std::uint64_t>(v);
  for (int i = 7; i >= 0; --i) *p++ = static_cast<char>((bits >> (8 * i)) & 0xFF);  // big-endian
  return p;
}

void pickle_string(std::string& out, std::string_view text) {
  char head[5];
  char* p = head;
  if (text.size() < 256) {
    *p++ = pickle_op::short_binunicode;
    *p++ = static_cast<char>(text.size());
  } else {
    *p++ = pickle_op::binunicode;
    p = put_le(p, text.size(), 4);
  }
  out.append(head, p);
  out += text;
}

// A string of at most 255 bytes, written by `write` at the pointer it is
// given (which returns the end), after SHORT_BINUNICODE and its length.
template <class Write>
char* pickle_short_string(char* p, Write write) {
  *p = pickle_op::short_binunicode;
  char* end = write(p + 2);
  p[1] = static_cast<char>(end - (p + 2));
  return end;
}

std::string pickle_memo_get(std::size_t index) {
  char buf[5];
  char* p = buf;
  if (index < 256) {
    *p++ = pickle_op::binget;
    *p++ = static_cast<char>(index);
  } else {
    *p++ = pickle_op::long_binget;
    p = put_le(p, index, 4);
  }
  return {buf, p};
}

// A JSON value as pickle: the subtype field's value, made once.
void pickle_json(std::string& out, const nlohmann::json& v) {
  char buf[16];
  if (v.is_object()) {
    out += pickle_op::empty_dict;
    out += pickle_op::mark;
    for (const auto& [name, value] : v.items()) {
      pickle_string(out, name);
      pickle_json(out, value);
    }
    out += pickle_op::setitems;
  } else if (v.is_array()) {
    out += pickle_op::empty_list;
    out += pickle_op::mark;
    for (const auto& value : v) pickle_json(out, value);
    out += pickle_op::appends;
  } else if (v.is_string()) {
    pickle_string(out, v.get_ref<const std::string&>());
  } else if (v.is_boolean()) {
    out += v.get<bool>() ? pickle_op::newtrue : pickle_op::newfalse;
  } else if (v.is_number_integer()) {
    out.append(buf, pickle_int(buf, v.get<std::int64_t>()));
  } else if (v.is_number_float()) {
    out.append(buf, pickle_float(buf, v.get<double>()));
  } else {
    throw std::logic_error("pickle_json: no pickle for " + v.dump());
  }
}

}  // namespace

std::string_view encoding_name(ItemEncoding e) {
  return e == ItemEncoding::rows ? "rows" : e == ItemEncoding::pickle ? "pickle" : "objects";
}

std::optional<ItemEncoding> choose_item_encoding(const std::vector<std::string>& accepted) {
  if (accepted.empty()) return ItemEncoding::objects;
  for (const auto& name : accepted) {
    if (name == "objects") return ItemEncoding::objects;
    if (name == "rows") return ItemEncoding::rows;
    if (name == "pickle") return ItemEncoding::pickle;
  }
  return std::nullopt;
}

WriteBatchEncoder::WriteBatchEncoder(const std::map<std::string, std::string>& fields, ItemEncoding encoding)
    : encoding_(encoding) {
  std::string names = R"("key")";
  // Pickle: the names, memoized once before the list (memo 0 is "key"), so
  // that every item refers to them (and its dict shares them) by index.
  const auto memoize_name = [&](std::string_view name) {
    if (encoding != ItemEncoding::pickle) return;
    pickle_string(pickle_names_, name);
    pickle_names_ += pickle_op::memoize;
    pickle_names_ += pickle_op::pop;
  };
  memoize_name("key");
  for (const auto& [name, type] : fields) {
    const Type t = type == "int" ? Type::integer : type == "float" ? Type::floating : type == "bool" ? Type::boolean
                                                                                                   : Type::string;
    std::string prefix = encoding == ItemEncoding::rows     ? std::string(",")
                         : encoding == ItemEncoding::pickle ? pickle_memo_get(fields_.size() + 1)
                                                            : "," + json_quoted(name) + ":";
    fields_.push_back({std::move(prefix), t});
    names += "," + json_quoted(name);
    memoize_name(name);
  }
  pickle_string(pickle_subtype_, kSubtypeField);
  pickle_json(pickle_subtype_, nlohmann::json::parse(kSubtypeValue));
  columns_ = R"("columns":[)" + names;
  // ',' and the brackets, the key in quotes with its name, each field's
  // prefix and longest value.
  max_item_chars_ = 1 + 9 + kMaxItemKeyChars + 2;
  for (const auto& f : fields_) max_item_chars_ += f.prefix.size() + std::max(kMaxNumberChars, kMaxExpectedStringChars + 2);
  subtype_name_ = json_quoted(kSubtypeField) + ":";
}

std::size_t WriteBatchEncoder::begin(std::string& out, std::string_view partition, bool subtype_items) const {
  const auto begun = out.size();
  out += R"({"op":"write_batch","partition":)";
  out += json_quoted(partition);
  if (encoding_ == ItemEncoding::pickle) {
    // The block's size, written by end() into the spaces (JSON allows them
    // before a value), then the block: PROTO, FRAME, the names, a list.
    out += R"(,"items_bytes":)";
    out.append(kItemsBytesDigits, ' ');
    out += "}\n";
    out += pickle_op::proto_frame;
    out.append(8, '\0');
    out += pickle_names_;
    out += pickle_op::empty_list;
    out += pickle_op::mark;
    return begun;
  }
  if (encoding_ == ItemEncoding::rows) {
    out += ',';
    out += columns_;
    if (subtype_items) out += "," + json_quoted(kSubtypeField);
    out += ']';
  }
  out += R"(,"items":[)";
  return begun;
}

void WriteBatchEncoder::pickle_item(std::string& out, const ItemKey& key, bool subtype_items) const {
  // A dict: its key, then each field by its memoized name.
  constexpr std::size_t kMaxValue = 2 + kMaxExpectedStringChars;  // a string's; a number's is shorter
  const auto old = out.size();
  out.resize(old + 4 + 2 + kMaxItemKeyChars + fields_.size() * (5 + kMaxValue) + 1);
  char* p = out.data() + old;
  *p++ = pickle_op::empty_dict;
  *p++ = pickle_op::mark;
  *p++ = pickle_op::binget;
  *p++ = 0;  // "key"
  p = pickle_short_string(p, [&](char* at) { return write_item_key(at, key); });
  for (const auto& f : fields_) {
    p = put(p, f.prefix);
    switch (f.type) {
      case Type::integer: p = pickle_int(p, expected_int(key)); break;
      case Type::floating: p = pickle_float(p, expected_float(key)); break;
      case Type::boolean: *p++ = expected_bool(key) ? pickle_op::newtrue : pickle_op::newfalse; break;
      case Type::string: p = pickle_short_string(p, [&](char* at) { return write_expected_string(at, key); }); break;
    }
  }
  out.resize(static_cast<std::size_t>(p - out.data()));
  if (subtype_items) out += pickle_subtype_;
  out += pickle_op::setitems;
}

void WriteBatchEncoder::item(std::string& out, const ItemKey& key, bool subtype_items) const {
  if (encoding_ == ItemEncoding::pickle) return pickle_item(out, key, subtype_items);
  json_item(out, key, subtype_items, out.back() != '[');
}

std::string WriteBatchEncoder::encoded_item(const ItemKey& key, bool subtype_items) const {
  std::string out;
  if (encoding_ == ItemEncoding::pickle) {
    pickle_item(out, key, subtype_items);
  } else {
    json_item(out, key, subtype_items, /*separate=*/false);
  }
  return out;
}

void WriteBatchEncoder::append_encoded(std::string& out, std::string_view encoded) const {
  if (encoding_ != ItemEncoding::pickle && out.back() != '[') out += ',';
  out += encoded;
}

void WriteBatchEncoder::json_item(std::string& out, const ItemKey& key, bool subtype_items, bool separate) const {
  // Written in place, into room for the longest item (one resize, not an
  // append per piece: this loop is most of the kit's time in a write_batch).
  const bool rows = encoding_ == ItemEncoding::rows;
  const auto old = out.size();
  out.resize(old + max_item_chars_ + (subtype_items ? subtype_name_.size() + kSubtypeValue.size() + 1 : 0));
  char* p = out.data() + old;
  if (separate) *p++ = ',';
  // The key and string values are the kit's own text (letters, digits, '.',
  // ':'): nothing in them needs escaping.
  p = put(p, rows ? R"([")" : R"({"key":")");
  p = write_item_key(p, key);
  *p++ = '"';
  for (const auto& f : fields_) {
    p = put(p, f.prefix);
    switch (f.type) {
      case Type::integer: p = write_number(p, expected_int(key)); break;
      case Type::floating: p = write_number(p, expected_float(key)); break;
      case Type::boolean: p = put(p, expected_bool(key) ? "true" : "false"); break;
      case Type::string:
        *p++ = '"';
        p = write_expected_string(p, key);
        *p++ = '"';
        break;
    }
  }
  if (subtype_items) {
    *p++ = ',';
    if (!rows) p = put(p, subtype_name_);
    p = put(p, kSubtypeValue);
  }
  *p++ = rows ? ']' : '}';
  out.resize(static_cast<std::size_t>(p - out.data()));
}

void WriteBatchEncoder::end(std::string& out, std::size_t begun) const {
  if (encoding_ != ItemEncoding::pickle) {
    out += "]}\n";
    return;
  }
  out += pickle_op::appends;
  out += pickle_op::stop;
  // The request line has no newline of its own (the partition's is escaped).
  const auto line_end = out.find('\n', begun);
  const auto block = line_end + 1;
  const auto bytes = out.size() - block;
  char digits[kItemsBytesDigits];
  const auto n = static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, bytes).ptr - digits);
  std::memcpy(out.data() + line_end - 1 - n, digits, n);  // right-aligned before the '}'
  put_le(out.data() + block + pickle_op::proto_frame.size(), bytes - kFrameHeader, 8);
}

}  // namespace sinkkit::detail
