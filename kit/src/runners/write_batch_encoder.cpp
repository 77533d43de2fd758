#include "write_batch_encoder.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

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

}  // namespace

std::string_view encoding_name(ItemEncoding e) { return e == ItemEncoding::rows ? "rows" : "objects"; }

std::optional<ItemEncoding> choose_item_encoding(const std::vector<std::string>& accepted) {
  if (accepted.empty()) return ItemEncoding::objects;
  for (const auto& name : accepted) {
    if (name == "objects") return ItemEncoding::objects;
    if (name == "rows") return ItemEncoding::rows;
  }
  return std::nullopt;
}

WriteBatchEncoder::WriteBatchEncoder(const std::map<std::string, std::string>& fields, ItemEncoding encoding)
    : encoding_(encoding) {
  std::string names = R"("key")";
  for (const auto& [name, type] : fields) {
    const Type t = type == "int" ? Type::integer : type == "float" ? Type::floating : type == "bool" ? Type::boolean
                                                                                                   : Type::string;
    fields_.push_back({encoding == ItemEncoding::rows ? std::string(",") : "," + json_quoted(name) + ":", t});
    names += "," + json_quoted(name);
  }
  columns_ = R"("columns":[)" + names;
  // ',' and the brackets, the key in quotes with its name, each field's
  // prefix and longest value.
  max_item_chars_ = 1 + 9 + kMaxItemKeyChars + 2;
  for (const auto& f : fields_) max_item_chars_ += f.prefix.size() + std::max(kMaxNumberChars, kMaxExpectedStringChars + 2);
  subtype_name_ = json_quoted(kSubtypeField) + ":";
}

void WriteBatchEncoder::begin(std::string& out, std::string_view partition, bool subtype_items) const {
  out += R"({"op":"write_batch","partition":)";
  out += json_quoted(partition);
  if (encoding_ == ItemEncoding::rows) {
    out += ',';
    out += columns_;
    if (subtype_items) out += "," + json_quoted(kSubtypeField);
    out += ']';
  }
  out += R"(,"items":[)";
}

void WriteBatchEncoder::item(std::string& out, const ItemKey& key, bool subtype_items) const {
  // Written in place, into room for the longest item (one resize, not an
  // append per piece: this loop is most of the kit's time in a write_batch).
  const bool rows = encoding_ == ItemEncoding::rows;
  const auto old = out.size();
  out.resize(old + max_item_chars_ + (subtype_items ? subtype_name_.size() + kSubtypeValue.size() + 1 : 0));
  char* p = out.data() + old;
  if (out[old - 1] != '[') *p++ = ',';
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

void WriteBatchEncoder::end(std::string& out) const { out += "]}\n"; }

}  // namespace sinkkit::detail
