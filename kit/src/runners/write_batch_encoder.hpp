#pragma once
// The write_batch request line written straight from the items' keys, with
// no JSON tree per item: building and dumping one object per item was most
// of the kit's time per batch (docs/performance.md, "The wire"). The line
// parses to the request wire::encode(WriteBatch) makes of the same items
// (write_batch_encoder_test.cpp checks both encodings against it).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sinkkit/protocol/item_key.hpp>

namespace sinkkit::detail {

// How a write_batch carries its items (docs/wire-protocol.md, "Item
// encodings"): v1's objects, rows (arrays under a `columns` list), or a
// pickle of the objects in a block after the request line, for a sink that
// asked for them at hello.
enum class ItemEncoding { objects, rows, pickle };
std::string_view encoding_name(ItemEncoding e);
// The first of the sink's accepted encodings (its preference order) the kit
// knows; objects for an empty list; nothing when it names none the kit knows.
std::optional<ItemEncoding> choose_item_encoding(const std::vector<std::string>& accepted);

class WriteBatchEncoder {
 public:
  // `fields`: the sink's declared payload fields and their wire types.
  WriteBatchEncoder(const std::map<std::string, std::string>& fields, ItemEncoding encoding);

  // One request, appended to `out`: begin, an item per key, end (given
  // what begin returned). A line ('\n' included), and for pickle the block
  // after it. With `subtype_items` each item carries one field the sink did
  // not declare (a payload subtype, SK-1.x), as the sink must accept.
  [[nodiscard]] std::size_t begin(std::string& out, std::string_view partition, bool subtype_items) const;
  void item(std::string& out, const ItemKey& key, bool subtype_items) const;
  void end(std::string& out, std::size_t begun) const;
  // One item alone, made before its batch's request (the benchmarks make
  // items ahead, their encoding with them), and how it joins a request
  // between begin and end: the same bytes as item() writes.
  [[nodiscard]] std::string encoded_item(const ItemKey& key, bool subtype_items) const;
  void append_encoded(std::string& out, std::string_view encoded) const;

 private:
  enum class Type { string, integer, floating, boolean };
  struct Field {
    std::string prefix;  // objects: `,"name":`; rows: `,`; pickle: the name's memo reference
    Type type;
  };
  void pickle_item(std::string& out, const ItemKey& key, bool subtype_items) const;
  void json_item(std::string& out, const ItemKey& key, bool subtype_items, bool separate) const;
  ItemEncoding encoding_;
  std::vector<Field> fields_;
  std::string columns_;       // rows: the `"columns":[...` member, for the request
  std::string subtype_name_;  // objects: `"sinkkit_subtype":`
  std::size_t max_item_chars_ = 0;  // the longest item, without the subtype's field
  std::string pickle_names_;        // pickle: the key's and fields' names, memoized before the list
  std::string pickle_subtype_;      // pickle: the subtype field, name and value
};

// The field the kit adds to every item of a subtype batch, and its value.
inline constexpr std::string_view kSubtypeField = "sinkkit_subtype";
inline constexpr std::string_view kSubtypeValue = R"({"level":2,"note":"a field the sink did not declare"})";

}  // namespace sinkkit::detail
