// The whole conformance suite for acme::LineSink: a harness and one line.

#include <acme/line_sink.hpp>
#include <sinkkit/runners/gtest.hpp>

struct LineSinkHarness {
  using node_type = acme::LineSink;
  node_type make_node() { return {}; }
  nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"dir", t.dir.string()}}; }
  std::vector<acme::Reading> read_back(const nlohmann::json& config) { return acme::LineSink::read_back(config); }
  // Items the kit can recognise: the key goes in the sensor name.
  acme::Reading make_item(const sinkkit::ItemKey& k) { return {sinkkit::to_string(k), static_cast<double>(k.seq)}; }
  sinkkit::ItemKey key_of(const acme::Reading& r) {
    return sinkkit::parse_item_key(r.sensor).value_or(sinkkit::ItemKey{-1, -1, -1, -1});
  }
  sinkkit::Capabilities capabilities() { return acme::LineSink::capabilities(); }
  std::vector<sinkkit::InvalidConfig> invalid_configs(const sinkkit::TestTarget& t) {
    return {{{{"dir", (t.dir / "nope").string()}}, "dir"}, {{{"dir", t.dir.string()}, {"colour", "red"}}, "colour"}};
  }
};

SINKKIT_CONFORMANCE_SUITE(LineSinkHarness);
