// The write_batch line the kit writes without a JSON tree per item: in every
// encoding it decodes to exactly the request wire::encode makes of the
// same items (pickle by Python's own unpickler, refusing every class), and
// the server's streaming decoder hands over the same items in the same
// order; a rows batch that does not add up is named.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>
#include <sinkkit/runners/wire_messages.hpp>

#include "runners/wire_responses.hpp"
#include "runners/write_batch_encoder.hpp"

namespace {

using namespace sinkkit;
using detail::ItemEncoding;
using detail::WriteBatchEncoder;
using nlohmann::json;

const std::map<std::string, std::string> kFields = {
    {"amount", "int"}, {"label", "string"}, {"ratio", "float"}, {"flag", "bool"}};

std::vector<ItemKey> keys() {
  constexpr auto i64 = std::numeric_limits<std::int64_t>::max();
  return {{0, 0, 0, 0},
          {1, 2, 3, 4},
          {7, 0, 12, 4095},
          {-1, -1, -1, -1},
          {2147483647, -2147483647 - 1, i64, i64},  // the longest key there is
          {0, 0, 1, std::int64_t{1} << 53}};        // seq + 0.25 rounds to a whole float
}

// Keys whose int field (seq * 7 + worker) is at the edges of pickle's
// 4-byte BININT and of int64 (LONG1).
std::vector<ItemKey> int_edge_keys() {
  constexpr std::int64_t seq_to_max = 1317624576693539401;  // * 7 = INT64_MAX
  return {{2147483647, 0, 0, 0},             // INT32_MAX
          {-2147483647 - 1, 0, 0, 0},        // INT32_MIN
          {2, 0, 0, 306783378},              // INT32_MAX + 1
          {-2147483647 + 5, 0, 0, -1},       // INT32_MIN - 1
          {0, 0, 0, seq_to_max},             // INT64_MAX
          {-1, 0, 0, -seq_to_max}};          // INT64_MIN
}

std::string line_of(ItemEncoding encoding, const std::vector<ItemKey>& ks, bool subtype = false,
                    const std::map<std::string, std::string>& fields = kFields, std::string already = {},
                    const std::string& partition = "p0-w1-b0") {
  const WriteBatchEncoder encoder(fields, encoding);
  std::string line = std::move(already);
  const auto begun = encoder.begin(line, partition, subtype);
  for (const auto& k : ks) encoder.item(line, k, subtype);
  encoder.end(line, begun);
  return line;
}

// What the kit sent before it had an encoder: an object per item.
json expected_items(const std::vector<ItemKey>& ks, bool subtype = false,
                    const std::map<std::string, std::string>& fields = kFields) {
  json items = json::array();
  for (const auto& k : ks) {
    json item = {{"key", to_string(k)}};
    for (const auto& [name, type] : fields) item[name] = detail::expected_value(type, k);
    if (subtype) item[std::string(detail::kSubtypeField)] = json::parse(detail::kSubtypeValue);
    items.push_back(item);
  }
  return items;
}

std::string without_newline(std::string line) {
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  line.pop_back();
  return line;
}

TEST(WriteBatchEncoder, ObjectsAreTheRequestEncodeMakes) {
  for (const bool subtype : {false, true}) {
    const auto line = line_of(ItemEncoding::objects, keys(), subtype);
    EXPECT_EQ(json::parse(line), wire::encode(wire::WriteBatch{"p0-w1-b0", expected_items(keys(), subtype), {}}));
    const auto batch = std::get<wire::WriteBatch>(wire::parse_request(without_newline(line)));
    EXPECT_EQ(batch.items, expected_items(keys(), subtype));
    EXPECT_TRUE(batch.columns.empty());
  }
}

TEST(WriteBatchEncoder, RowsDecodeToTheSameObjectsWithTheirColumns) {
  for (const bool subtype : {false, true}) {
    const auto line = without_newline(line_of(ItemEncoding::rows, keys(), subtype));
    const auto sent = json::parse(line);
    EXPECT_TRUE(sent.at("items").at(0).is_array()) << line;
    std::vector<std::string> columns = {"key", "amount", "flag", "label", "ratio"};
    if (subtype) columns.emplace_back(detail::kSubtypeField);
    EXPECT_EQ(sent.at("columns"), json(columns));
    const auto batch = std::get<wire::WriteBatch>(wire::parse_request(line));
    EXPECT_EQ(batch.items, expected_items(keys(), subtype));
    EXPECT_EQ(batch.columns, columns);
  }
}

// A pickle request: its line, and its block's objects as Python's
// unpickler reads them (one that refuses every class, as the adapter's).
struct Unpickled {
  json line;
  json items;
};
Unpickled unpickled(const std::string& request) {
  const auto newline = request.find('\n');
  EXPECT_NE(newline, std::string::npos);
  Unpickled out{json::parse(request.substr(0, newline)), nullptr};
  const auto block = request.substr(newline + 1);
  EXPECT_EQ(out.line.at("items_bytes"), block.size()) << out.line;
  EXPECT_FALSE(out.line.contains("items"));
  // PROTO 4, then one FRAME of all the rest (Python's unpickler would take
  // a frame one byte short: STOP may sit outside it).
  EXPECT_EQ(block.substr(0, 3), std::string("\x80\x04\x95"));
  std::uint64_t frame = 0;
  for (int i = 7; i >= 0; --i) frame = frame << 8 | static_cast<unsigned char>(block[3 + static_cast<std::size_t>(i)]);
  EXPECT_EQ(frame, block.size() - 11);
  const auto file = std::filesystem::path(::testing::TempDir()) /
                    ("write_batch_block_" + std::to_string(::getpid()) + ".pickle");
  std::ofstream(file, std::ios::binary) << block;
  const std::string command = std::string(SINKKIT_PYTHON) + " -c '" +
                              R"(import io, json, pickle, sys
class Refuse(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError("a class: " + module + "." + name)
data = open(sys.argv[1], "rb").read()
items = Refuse(io.BytesIO(data)).load()
print(json.dumps(items))
)" + "' \"" + file.string() + "\"";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen: " << command;
    return out;
  }
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
  EXPECT_EQ(::pclose(pipe), 0) << text;
  std::filesystem::remove(file);
  out.items = json::parse(text);
  return out;
}

TEST(WriteBatchEncoder, PickleIsTheSameObjectsAsPythonReadsThem) {
  for (const bool subtype : {false, true}) {
    const auto got = unpickled(line_of(ItemEncoding::pickle, keys(), subtype));
    EXPECT_EQ(got.line.at("op"), "write_batch");
    EXPECT_EQ(got.line.at("partition"), "p0-w1-b0");
    EXPECT_EQ(got.items, expected_items(keys(), subtype));
  }
  EXPECT_EQ(unpickled(line_of(ItemEncoding::pickle, {})).items, json::array()) << "an empty batch";
  // Ints at the edges of BININT and of int64.
  std::set<std::int64_t> ints;
  for (const auto& k : int_edge_keys()) ints.insert(detail::expected_int(k));
  using i32 = std::numeric_limits<std::int32_t>;
  using i64 = std::numeric_limits<std::int64_t>;
  EXPECT_EQ(ints, (std::set<std::int64_t>{i64::min(), std::int64_t{i32::min()} - 1, i32::min(), i32::max(),
                                          std::int64_t{i32::max()} + 1, i64::max()}));
  EXPECT_EQ(unpickled(line_of(ItemEncoding::pickle, int_edge_keys())).items, expected_items(int_edge_keys()));
  // A partition name JSON escapes: the size is still patched into its own line.
  const std::string odd = "p\"0\n\\-\xc3\xbc";
  const auto named = unpickled(line_of(ItemEncoding::pickle, keys(), false, kFields, {}, odd));
  EXPECT_EQ(named.line.at("partition"), odd);
  EXPECT_EQ(named.items, expected_items(keys()));
  // After another request in the same buffer (the end finds its own line),
  // and with more field names than a one-byte memo index reaches.
  std::map<std::string, std::string> many;
  for (int i = 0; i < 300; ++i) many["f" + std::to_string(i)] = i % 2 == 0 ? "int" : "string";
  const auto earlier = line_of(ItemEncoding::pickle, keys());
  const auto both = line_of(ItemEncoding::pickle, keys(), false, many, earlier);
  EXPECT_EQ(unpickled(both.substr(earlier.size())).items, expected_items(keys(), false, many));
}

// Items made ahead (the benchmarks) join their request as the same bytes.
TEST(WriteBatchEncoder, ItemsEncodedAheadMakeTheSameRequest) {
  for (const auto encoding : {ItemEncoding::objects, ItemEncoding::rows, ItemEncoding::pickle}) {
    for (const bool subtype : {false, true}) {
      const WriteBatchEncoder encoder(kFields, encoding);
      std::string request;
      const auto begun = encoder.begin(request, "p0-w1-b0", subtype);
      for (const auto& k : keys()) encoder.append_encoded(request, encoder.encoded_item(k, subtype));
      encoder.end(request, begun);
      EXPECT_EQ(request, line_of(encoding, keys(), subtype)) << detail::encoding_name(encoding);
    }
  }
}

TEST(WriteBatchEncoder, AFloatStaysAFloatAndExact) {
  const auto items = json::parse(line_of(ItemEncoding::objects, keys())).at("items");
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_TRUE(items[i].at("ratio").is_number_float()) << items[i];
    EXPECT_EQ(items[i].at("ratio").get<double>(), detail::expected_float(keys()[i]));
  }
}

TEST(WriteBatchEncoder, TheStreamingDecoderHandsOverEveryItemInOrder) {
  for (const auto encoding : {ItemEncoding::objects, ItemEncoding::rows}) {
    json taken = json::array();
    std::vector<std::size_t> indices;
    const auto request = wire::parse_request(without_newline(line_of(encoding, keys(), true)),
                                             [&](const json& item, std::size_t index) {
                                               taken.push_back(item);
                                               indices.push_back(index);
                                             });
    EXPECT_EQ(taken, expected_items(keys(), true)) << detail::encoding_name(encoding);
    EXPECT_EQ(indices, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5}));
    EXPECT_TRUE(std::get<wire::WriteBatch>(request).items.empty()) << "taken, not kept";
  }
}

// Both decoders, the streaming one and the plain one, name the same fault.
void expect_rejected(const std::string& line, const std::string& named) {
  for (const bool streaming : {false, true}) {
    try {
      if (streaming) {
        (void)wire::parse_request(line, [](const json&, std::size_t) {});
      } else {
        (void)wire::parse_request(line);
      }
      ADD_FAILURE() << line << " was accepted";
    } catch (const wire::ProtocolError& e) {
      EXPECT_NE(std::string(e.what()).find(named), std::string::npos) << e.what();
    }
  }
}

TEST(WriteBatchEncoder, ARowsBatchThatDoesNotAddUpIsNamed) {
  const std::string start = R"({"op":"write_batch","partition":"p",)";
  expect_rejected(start + R"("columns":["key","v"],"items":[["a",1],["b"]]})", "item 1 of the batch is not a row of 2");
  expect_rejected(start + R"("columns":["key","v"],"items":[["a",1],{"key":"b","v":2}]})", "item 1");
  expect_rejected(start + R"("columns":["v"],"items":[[1]]})", "'columns' has no \"key\"");
  expect_rejected(start + R"("columns":["key","key"],"items":[]})", "column 'key' is named twice");
  expect_rejected(start + R"("columns":"key","items":[]})", "'columns' must be an array");
  expect_rejected(start + R"("items":[{"key":"a"},3]})", "item 1 of the batch is not an object: 3");
  // Columns after the items: the rows are decoded with the request, and checked the same.
  expect_rejected(start + R"("items":[["a",1],["b"]],"columns":["key","v"]})", "item 1 of the batch is not a row of 2");
  expect_rejected(start + R"("items":[{"key":"a"}],"columns":["key"]})", "item 0 of the batch is not a row");
}

// Found by fuzzing (fuzz/regressions/wire_requests): a number JSON allows
// but a double cannot hold threw nlohmann's out_of_range out of the decoder.
TEST(WriteBatchEncoder, ANumberOutOfRangeIsALineThatIsNotJson) {
  expect_rejected("1e380", "not JSON");
  expect_rejected(R"({"op":"write_batch","partition":"p","items":[{"key":"a","v":1e380}]})", "not JSON");
}

// A repeated key would be read twice by the streaming decoder and once by a
// DOM: it refuses the line, naming the key.
TEST(WriteBatchEncoder, TheStreamingDecoderRefusesARepeatedKey) {
  for (const std::string key : {"op", "items", "columns"}) {
    const std::string line = R"({"op":"write_batch","partition":"p","columns":["key"],"items":[["a"]],")" + key +
                             R"(":)" + (key == "op" ? R"("write_batch")" : R"([])") + "}";
    EXPECT_THROW(
        try { (void)wire::parse_request(line, [](const json&, std::size_t) {}); } catch (const wire::ProtocolError& e) {
          EXPECT_NE(std::string(e.what()).find("'" + key + "' is given twice"), std::string::npos) << e.what();
          throw;
        },
        wire::ProtocolError);
  }
}

TEST(WriteBatchEncoder, TheKitChoosesTheSinksFirstEncodingItKnows) {
  EXPECT_EQ(detail::choose_item_encoding({}), ItemEncoding::objects);
  EXPECT_EQ(detail::choose_item_encoding({"rows", "objects"}), ItemEncoding::rows);
  EXPECT_EQ(detail::choose_item_encoding({"columnar", "objects", "rows"}), ItemEncoding::objects);
  EXPECT_EQ(detail::choose_item_encoding({"pickle", "objects"}), ItemEncoding::pickle);
  EXPECT_EQ(detail::choose_item_encoding({"columnar"}), std::nullopt);
}

TEST(WriteBatchEncoder, HelloCarriesTheSinksEncodings) {
  wire::HelloOk hello;
  hello.sink.name = "s";
  hello.item_encodings = {"rows", "objects"};
  const auto decoded = wire::decode_hello_ok(json::parse(wire::to_line(wire::encode(hello))));
  EXPECT_EQ(decoded.item_encodings, hello.item_encodings);
  auto bad = wire::encode(hello);
  bad["item_encodings"] = "rows";
  EXPECT_THROW((void)wire::decode_hello_ok(bad), wire::ProtocolError);
  bad["item_encodings"] = json::array({"rows", 3});
  EXPECT_THROW((void)wire::decode_hello_ok(bad), wire::ProtocolError);
}

}  // namespace
