#include <sinkkit/protocol/capabilities.hpp>
#include <sinkkit/protocol/config.hpp>
#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/protocol/item_key.hpp>

#include <string>
#include <unordered_set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
using sinkkit::ConfigError;
using sinkkit::ConfigReader;

// Runs `fn` and returns the ConfigError it throws (failing the test if none).
template <class F>
ConfigError config_error_of(F&& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError thrown";
  return ConfigError("<none>", "");
}

TEST(ConfigReader, ReadsTypedValuesAndDefaults) {
  json cfg = {{"dir", "/tmp"}, {"fsync", "close"}, {"chunk", 500}, {"ratio", 0.5}, {"flag", false}};
  ConfigReader r(cfg);
  EXPECT_EQ(r.required_string("dir"), "/tmp");
  EXPECT_EQ(r.one_of("fsync", {"batch", "close"}, "batch"), "close");
  EXPECT_EQ(r.optional_int("chunk", 1, 1, 1000), 500);
  EXPECT_DOUBLE_EQ(r.optional_number("ratio", 1.0, 0.0, 1.0), 0.5);
  EXPECT_FALSE(r.optional_bool("flag", true));
  EXPECT_EQ(r.optional_int("absent", 9), 9);
  EXPECT_EQ(r.optional_string("absent2", "x"), "x");
  EXPECT_NO_THROW(r.reject_unknown_keys());
}

TEST(ConfigReader, EveryProblemNamesTheKey) {
  json cfg = {{"dir", 5}, {"empty", ""}, {"null", nullptr}, {"mode", "sometimes"},
              {"n", 0}, {"big", 18446744073709551615ULL}, {"b", "yes"}, {"x", "1.5"}};
  struct Case {
    std::string key;
    std::string fragment;
    std::function<void(ConfigReader&)> read;
  };
  std::vector<Case> cases{
      {"dir", "must be a string, got number 5", [](auto& r) { r.required_string("dir"); }},
      {"empty", "must not be empty", [](auto& r) { r.required_string("empty"); }},
      {"null", "is required but null", [](auto& r) { r.required_string("null"); }},
      {"missing", "is required but missing", [](auto& r) { r.required_string("missing"); }},
      {"mode", "'sometimes' is not one of batch | close", [](auto& r) { r.one_of("mode", {"batch", "close"}, "batch"); }},
      {"n", "0 is outside [1, 10]", [](auto& r) { r.optional_int("n", 1, 1, 10); }},
      {"big", "must be at most", [](auto& r) { r.optional_int("big", 1); }},
      {"b", "must be true or false", [](auto& r) { r.optional_bool("b", true); }},
      {"x", "must be a number", [](auto& r) { r.optional_number("x", 1.0); }},
  };
  for (const auto& c : cases) {
    ConfigReader r(cfg);
    auto e = config_error_of([&] { c.read(r); });
    EXPECT_EQ(e.key(), c.key);
    EXPECT_NE(std::string(e.what()).find("'" + c.key + "'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(c.fragment), std::string::npos) << e.what();
  }
}

TEST(ConfigReader, NullOptionalKeysTakeTheirDefault) {
  json cfg = {{"fsync", nullptr}};
  ConfigReader r(cfg);
  EXPECT_EQ(r.one_of("fsync", {"batch"}, "batch"), "batch");
}

TEST(ConfigReader, RejectsUnknownKeysAndNonObjects) {
  json cfg = {{"dir", "/tmp"}, {"dri", "/tmp"}};
  ConfigReader r(cfg);
  r.required_string("dir");
  EXPECT_EQ(config_error_of([&] { r.reject_unknown_keys(); }).key(), "dri");
  json array = json::array();
  EXPECT_EQ(config_error_of([&] { ConfigReader bad(array); }).key(), "<config>");
}

TEST(CheckWorkerArgs, RejectsIndicesOutsideTheRange) {
  EXPECT_NO_THROW(sinkkit::check_worker_args(0, 1));
  EXPECT_NO_THROW(sinkkit::check_worker_args(7, 8));
  EXPECT_THROW(sinkkit::check_worker_args(8, 8), std::invalid_argument);
  EXPECT_THROW(sinkkit::check_worker_args(-1, 8), std::invalid_argument);
  EXPECT_THROW(sinkkit::check_worker_args(0, 0), std::invalid_argument);
}

TEST(Capabilities, RoundTripsThroughTheWireNames) {
  sinkkit::Capabilities caps;
  caps.delivery = sinkkit::Delivery::at_least_once;
  caps.durability = sinkkit::Durability::on_close;
  caps.survives_crash = true;
  caps.max_batch_size = 100;
  json j = caps;
  EXPECT_EQ(j["delivery"], "at_least_once");
  EXPECT_EQ(j["durability"], "on_close");
  EXPECT_EQ(j.get<sinkkit::Capabilities>(), caps);
}

TEST(Capabilities, MissingNamesKeepDefaultsUnknownNamesAreIgnored) {
  auto caps = json{{"survives_crash", true}, {"from_the_future", 1}}.get<sinkkit::Capabilities>();
  sinkkit::Capabilities expected;
  expected.survives_crash = true;
  EXPECT_EQ(caps, expected);
}

TEST(Capabilities, BadValuesFailNamingTheField) {
  try {
    (void)json{{"delivery", "exactly-once"}}.get<sinkkit::Capabilities>();
    FAIL() << "a misspelt delivery was accepted";
  } catch (const sinkkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("capabilities.delivery"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("at_least_once | exactly_once"), std::string::npos) << e.what();
  }
  try {
    (void)json{{"survives_crash", "yes"}}.get<sinkkit::Capabilities>();
    FAIL() << "a string survives_crash was accepted";
  } catch (const sinkkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("capabilities.survives_crash"), std::string::npos) << e.what();
  }
}

TEST(ItemKey, PrintsAndParsesBack) {
  sinkkit::ItemKey k{3, 1, 42, 1234567890123};
  EXPECT_EQ(sinkkit::to_string(k), "w3.b1.e42.s1234567890123");
  EXPECT_EQ(sinkkit::parse_item_key(sinkkit::to_string(k)), k);
  for (const char* bad : {"", "w3", "w3.b1.e42", "w3.b1.e42.s", "w3.b1.e42.s1x", "x3.b1.e42.s1", "w3.b1.e42.s1.",
                          "w.b1.e42.s1"}) {
    EXPECT_FALSE(sinkkit::parse_item_key(bad).has_value()) << bad;
  }
}

TEST(ItemKey, HashesSpreadDenseKeys) {
  std::unordered_set<std::size_t> hashes;
  for (int w = 0; w < 8; ++w)
    for (int s = 0; s < 1000; ++s) hashes.insert(std::hash<sinkkit::ItemKey>{}({w, 0, s / 10, s}));
  EXPECT_EQ(hashes.size(), 8000u);
}

}  // namespace
