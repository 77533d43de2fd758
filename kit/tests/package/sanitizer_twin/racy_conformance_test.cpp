// The conformance suite on the racy sink; its ThreadSanitizer twin
// (racy_conformance_tsan) fails SK-2.10 with the race's report.

#include <racy_sink.hpp>
#include <sinkkit/runners/gtest.hpp>

struct RacyHarness {
  using node_type = racy::Sink;
  std::shared_ptr<racy::Rows> rows = std::make_shared<racy::Rows>();
  node_type make_node() { return node_type{.rows = rows}; }
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"target", t.id}}; }
  std::vector<racy::Row> read_back(const nlohmann::json& config) {
    std::lock_guard lock(rows->mutex);
    return rows->of_target[config.at("target").get<std::string>()];
  }
  racy::Row make_item(const sinkkit::ItemKey& k) { return {sinkkit::to_string(k)}; }
  sinkkit::ItemKey key_of(const racy::Row& r) {
    return sinkkit::parse_item_key(r.key).value_or(sinkkit::ItemKey{-2, -2, -2, -2});  // not the kit's poison key
  }
  sinkkit::Capabilities capabilities() { return racy::Sink::capabilities(); }
};

SINKKIT_CONFORMANCE_SUITE(RacyHarness);
