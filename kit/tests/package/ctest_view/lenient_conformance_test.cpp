// The conformance suite on the lenient sink. Both programs of this project
// are built from this file, so both register the harness LenientHarness.

#include <lenient_sink.hpp>
#include <sinkkit/runners/gtest.hpp>

struct LenientHarness {
  using node_type = lenient::Sink;
  std::shared_ptr<lenient::Rows> rows = std::make_shared<lenient::Rows>();
  node_type make_node() { return node_type{.rows = rows}; }
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"target", t.id}}; }
  std::vector<lenient::Row> read_back(const nlohmann::json& config) {
    std::lock_guard lock(rows->mutex);
    return rows->of_target[config.at("target").get<std::string>()];
  }
  lenient::Row make_item(const sinkkit::ItemKey& k) { return {sinkkit::to_string(k)}; }
  sinkkit::ItemKey key_of(const lenient::Row& r) {
    return sinkkit::parse_item_key(r.key).value_or(sinkkit::ItemKey{-2, -2, -2, -2});  // not the kit's poison key
  }
  sinkkit::Capabilities capabilities() { return lenient::Sink::capabilities(); }
};

SINKKIT_CONFORMANCE_SUITE(LenientHarness);
