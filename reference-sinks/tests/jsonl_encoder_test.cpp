// JsonlEncoder: the JSON text helpers write exactly what nlohmann::json
// writes (so a direct encoder and the generic one put the same bytes on
// disk), reject what it rejects, and the sink uses a specialized encoder and
// refuses one that breaks the line framing.

#include <sinkkit/sinks/jsonl_encoder.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>
#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/sinks/jsonl_file_sink.hpp>

namespace test_types {

// Written by a direct encoder; read back through from_json.
struct DirectEvent {
  std::string key;
  std::int64_t value = 0;
  friend bool operator==(const DirectEvent&, const DirectEvent&) = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DirectEvent, key, value)

// The same fields through the generic (nlohmann) encoder.
struct GenericEvent {
  std::string key;
  std::int64_t value = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(GenericEvent, key, value)

// The same fields through a direct encoder appending to a JsonText.
struct TextEvent {
  std::string key;
  std::int64_t value = 0;
  friend bool operator==(const TextEvent&, const TextEvent&) = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TextEvent, key, value)

// An encoder that forgets to escape: its newline would split the record.
struct UnescapedEvent {
  std::string key;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(UnescapedEvent, key)
struct UnescapedTextEvent {
  std::string key;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(UnescapedTextEvent, key)

}  // namespace test_types

namespace test_types {

// The line both direct encoders write, to a std::string or a JsonText.
template <class Out>
void append_key_and_value(Out& out, const std::string& key, std::int64_t value) {
  out += R"({"key":)";
  sinkkit::sinks::append_json_string(out, key);
  out += R"(,"value":)";
  sinkkit::sinks::append_json_integer(out, value);
  out += '}';
}

}  // namespace test_types

template <>
struct sinkkit::sinks::JsonlEncoder<test_types::DirectEvent> {
  static inline int calls = 0;
  static void append(std::string& out, const test_types::DirectEvent& e) {
    ++calls;
    test_types::append_key_and_value(out, e.key, e.value);
  }
};

template <>
struct sinkkit::sinks::JsonlEncoder<test_types::TextEvent> {
  static void append(JsonText& out, const test_types::TextEvent& e) {
    test_types::append_key_and_value(out, e.key, e.value);
  }
};

template <>
struct sinkkit::sinks::JsonlEncoder<test_types::UnescapedTextEvent> {
  static void append(JsonText& out, const test_types::UnescapedTextEvent& e) {
    out += R"({"key":")";
    out += e.key;
    out += R"("})";
  }
};

template <>
struct sinkkit::sinks::JsonlEncoder<test_types::UnescapedEvent> {
  static void append(std::string& out, const test_types::UnescapedEvent& e) { out += R"({"key":")" + e.key + R"("})"; }
};

namespace {

namespace fs = std::filesystem;
using sinkkit::sinks::append_json_integer;
using sinkkit::sinks::append_json_string;
using sinkkit::sinks::JsonlFileSink;

std::string encoded(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(AppendJsonString, EscapesEveryAsciiByteAsNlohmannDoes) {
  for (int c = 0; c < 0x80; ++c) {
    const std::string s = "a" + std::string(1, static_cast<char>(c)) + "z";
    EXPECT_EQ(encoded(s), nlohmann::json(s).dump()) << "byte 0x" << std::hex << c;
  }
}

TEST(AppendJsonString, MatchesNlohmannOnRandomMixedText) {
  // Pieces of every UTF-8 length, the edges of the code space, and the bytes
  // that need escaping, strung together at random.
  const std::vector<std::string> pieces = {"a", "Z", " ", "\"", "\\", "\n", "\t", "\x01", "\x1f", "\x7f",
                                           "\xc2\x80", "\xc3\xa9", "\xdf\xbf", "\xe0\xa0\x80", "\xe2\x82\xac",
                                           "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
                                           "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "w0.b1.e2.s3"};
  std::mt19937 rng(20261125);
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    const int n = static_cast<int>(rng() % 24);
    for (int i = 0; i < n; ++i) s += pieces[rng() % pieces.size()];
    ASSERT_EQ(encoded(s), nlohmann::json(s).dump()) << "round " << round;
  }
}

TEST(AppendJsonString, RejectsIllFormedUtf8AsNlohmannDoesNamingTheByte) {
  const std::vector<std::string> bad = {"\x80", "ab\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80",
                                        "\xf0\x80\x80\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff",
                                        "xy\xe2\x82", "\xc3"};
  for (const auto& s : bad) {
    EXPECT_THROW((void)nlohmann::json(s).dump(), nlohmann::json::type_error) << "nlohmann accepts it: the parity is off";
    try {
      (void)encoded(s);
      ADD_FAILURE() << "accepted ill-formed UTF-8 (" << s.size() << " bytes)";
    } catch (const sinkkit::SinkError& e) {
      EXPECT_NE(std::string(e.what()).find("UTF-8 at byte"), std::string::npos) << e.what();
    }
  }
  try {
    (void)encoded("ab\xc0\x80");
  } catch (const sinkkit::SinkError& e) {
    EXPECT_NE(std::string(e.what()).find("byte 2"), std::string::npos) << e.what();
  }
}

// The sink's raw-newline guard counts a batch's newlines 16 bytes at a
// time, in rounds of 255: every length, density and offset counts as a
// byte-by-byte loop does.
TEST(CountNewlines, MatchesACountByteByByte) {
  std::mt19937 rng(20261207);
  for (const std::size_t length : {0UL, 1UL, 7UL, 8UL, 15UL, 16UL, 17UL, 4079UL, 4080UL, 4081UL, 9000UL}) {
    for (const unsigned every : {1U, 2U, 40U, 100000U}) {
      std::string data(length, 'x');
      for (auto& c : data) c = rng() % every == 0 ? '\n' : static_cast<char>('\x0b' + rng() % 100);
      EXPECT_EQ(sinkkit::sinks::detail::count_newlines(data), static_cast<std::size_t>(std::count(data.begin(), data.end(), '\n')))
          << "length " << length << ", a newline in " << every;
    }
  }
}

TEST(AppendJsonInteger, WritesWhatNlohmannWrites) {
  for (const std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{42}, std::numeric_limits<std::int64_t>::min(),
                               std::numeric_limits<std::int64_t>::max()}) {
    std::string out;
    append_json_integer(out, v);
    EXPECT_EQ(out, nlohmann::json(v).dump());
  }
  std::string out;
  append_json_integer(out, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(out, nlohmann::json(std::numeric_limits<std::uint64_t>::max()).dump());
}

class JsonlEncoderSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sinkkit-jsonl-encoder-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  nlohmann::json cfg(const std::string& sub) const {
    fs::create_directories(dir_ / sub);
    return {{"dir", (dir_ / sub).string()}, {"fsync", "never"}};
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  fs::path dir_;
};

TEST_F(JsonlEncoderSinkTest, ASpecializedEncoderIsUsedAndWritesTheGenericEncodersBytes) {
  std::vector<test_types::DirectEvent> direct;
  std::vector<test_types::GenericEvent> generic;
  for (int i = 0; i < 50; ++i) {
    const std::string key = "k" + std::to_string(i) + (i % 7 == 0 ? "\"\\\n\xc3\xa9" : "");
    direct.push_back({key, i * -1000003});
    generic.push_back({key, i * -1000003});
  }
  JsonlFileSink<test_types::DirectEvent> direct_node;
  JsonlFileSink<test_types::GenericEvent> generic_node;
  auto d = direct_node.build_partition(cfg("direct"), 0, 1, nullptr, nullptr);
  auto g = generic_node.build_partition(cfg("generic"), 0, 1, nullptr, nullptr);
  const int calls_before = sinkkit::sinks::JsonlEncoder<test_types::DirectEvent>::calls;
  d.write_batch(direct);
  g.write_batch(generic);
  EXPECT_EQ(sinkkit::sinks::JsonlEncoder<test_types::DirectEvent>::calls - calls_before, 50);
  d.close();
  g.close();
  EXPECT_EQ(slurp(d.path()), slurp(g.path()));
  EXPECT_EQ(JsonlFileSink<test_types::DirectEvent>::read_back(cfg("direct")), direct);
}

// A JsonText encoder writes the generic encoder's bytes too, over batches
// that grow its buffer (past 4 KiB, then past 1 MiB) and reuse it.
TEST_F(JsonlEncoderSinkTest, AJsonTextEncoderWritesTheGenericEncodersBytesInBatchesOfEverySize) {
  static_assert(std::is_same_v<JsonlFileSink<test_types::TextEvent>::Partition::Buffer, sinkkit::sinks::JsonText>);
  static_assert(std::is_same_v<JsonlFileSink<test_types::DirectEvent>::Partition::Buffer, std::string>);
  JsonlFileSink<test_types::TextEvent> text_node;
  JsonlFileSink<test_types::GenericEvent> generic_node;
  auto t = text_node.build_partition(cfg("text"), 0, 1, nullptr, nullptr);
  auto g = generic_node.build_partition(cfg("generic"), 0, 1, nullptr, nullptr);
  std::vector<test_types::TextEvent> all;
  int n = 0;
  for (const int size : {1, 200, 40000, 3, 0, 7}) {
    std::vector<test_types::TextEvent> text;
    std::vector<test_types::GenericEvent> generic;
    for (int i = 0; i < size; ++i, ++n) {
      const std::string key = "k" + std::to_string(n) + (n % 13 == 0 ? "\"\\\n\xc3\xa9 and a longer tail" : "");
      text.push_back({key, n * -7});
      generic.push_back({key, n * -7});
    }
    t.write_batch(text);
    g.write_batch(generic);
    all.insert(all.end(), text.begin(), text.end());
  }
  t.close();
  g.close();
  EXPECT_EQ(slurp(t.path()), slurp(g.path()));
  EXPECT_EQ(JsonlFileSink<test_types::TextEvent>::read_back(cfg("text")), all);
}

TEST(JsonText, AppendsMovesAndAppendsItself) {
  sinkkit::sinks::JsonText t;
  t.append("");  // nothing, before any room was made
  EXPECT_EQ(t.view(), "");
  t += "abc";
  t += '!';
  sinkkit::sinks::append_json_integer(t, -42);
  EXPECT_EQ(t.view(), "abc!-42");
  for (int i = 0; i < 12; ++i) t += t.view();  // its own text, across the growths that move it
  EXPECT_EQ(t.size(), 7U << 12);
  EXPECT_EQ(t.view().substr(t.size() - 7), "abc!-42");
  sinkkit::sinks::JsonText moved = std::move(t);
  EXPECT_EQ(moved.size(), 7U << 12);
  EXPECT_EQ(t.size(), 0U);      // NOLINT(bugprone-use-after-move): a moved-from text is empty and usable
  EXPECT_EQ(t.capacity(), 0U);  // NOLINT(bugprone-use-after-move)
  t += "again";
  EXPECT_EQ(t.view(), "again");
}

TEST_F(JsonlEncoderSinkTest, AJsonTextEncoderThatWritesARawNewlineFailsTheBatchNamingTheItem) {
  JsonlFileSink<test_types::UnescapedTextEvent> node;
  auto p = node.build_partition(cfg("raw-text"), 0, 1, nullptr, nullptr);
  try {
    p.write_batch(std::vector<test_types::UnescapedTextEvent>{{"ok"}, {"fine"}, {"two\nlines"}});
    FAIL() << "a record split by a raw newline was written";
  } catch (const sinkkit::SinkError& e) {
    EXPECT_NE(std::string(e.what()).find("item 2 of the batch was encoded with a raw newline"), std::string::npos)
        << e.what();
  }
  p.close();
  EXPECT_EQ(slurp(p.path()), "");
}

TEST_F(JsonlEncoderSinkTest, AnEncoderThatWritesARawNewlineFailsTheBatchBeforeAnyWrite) {
  JsonlFileSink<test_types::UnescapedEvent> node;
  auto p = node.build_partition(cfg("raw"), 0, 1, nullptr, nullptr);
  p.write_batch(std::vector<test_types::UnescapedEvent>{{"fine"}});
  try {
    p.write_batch(std::vector<test_types::UnescapedEvent>{{"ok"}, {"two\nlines"}});
    FAIL() << "a record split by a raw newline was written";
  } catch (const sinkkit::SinkError& e) {
    EXPECT_NE(std::string(e.what()).find("item 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("newline"), std::string::npos) << e.what();
  }
  p.close();
  EXPECT_EQ(slurp(p.path()), "{\"key\":\"fine\"}\n") << "no part of the failed batch may land";
}

// The batch buffer is reused (and a huge one given back): a small batch
// after a huge one must write exactly its own lines.
TEST_F(JsonlEncoderSinkTest, ASmallBatchAfterAHugeOneWritesOnlyItsOwnLines) {
  JsonlFileSink<test_types::DirectEvent> node;
  auto p = node.build_partition(cfg("reuse"), 0, 1, nullptr, nullptr);
  std::vector<test_types::DirectEvent> huge(400'000, test_types::DirectEvent{std::string(40, 'x'), 1});
  p.write_batch(huge);
  p.write_batch(std::vector<test_types::DirectEvent>{{"last", 2}});
  p.close();
  const auto back = JsonlFileSink<test_types::DirectEvent>::read_back(cfg("reuse"));
  ASSERT_EQ(back.size(), huge.size() + 1);
  EXPECT_EQ(back.back(), (test_types::DirectEvent{"last", 2}));
}

}  // namespace
