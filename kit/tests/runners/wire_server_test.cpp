// serve_wire on a small in-memory sink, driven through string streams: one
// response line per request, in order, for every op of version 1 (fault with
// and without a hook included), and errors of the contract's kinds.

#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/runners/wire_server.hpp>
#include <sinkkit_test/events.hpp>

namespace {

using namespace sinkkit;
using nlohmann::json;
using sinkkit_test::Event;

// What the targets hold, shared by the node, its partitions and read_back.
struct Store {
  std::map<std::string, std::vector<Event>> targets;
  std::map<std::pair<std::string, int>, std::int64_t> armed;  // (target, worker) -> items before the fault
};

class StorePartition {
 public:
  StorePartition(std::shared_ptr<Store> store, std::string target, int worker)
      : store_(std::move(store)), target_(std::move(target)), worker_(worker) {}
  void write_batch(Batch<Event> batch) {
    if (closed_) throw ClosedError("write_batch");
    const auto n = static_cast<std::int64_t>(batch.size());
    if (auto it = store_->armed.find({target_, worker_}); it != store_->armed.end()) {
      if (n > it->second) {
        store_->armed.erase(it);  // once, like a transient outage
        throw SinkError("injected storage fault");
      }
      it->second -= n;
    }
    for (const Event& e : batch) store_->targets[target_].push_back(e);
  }
  void close() { closed_ = true; }

 private:
  std::shared_ptr<Store> store_;
  std::string target_;
  int worker_;
  bool closed_ = false;
};

struct StoreSink {
  using payload_type = Event;
  std::string name = "store";
  static constexpr bool router_branch_safe = true;
  std::shared_ptr<Store> store = std::make_shared<Store>();

  StorePartition build_partition(const json& config, int worker_index, int, AsyncBridge*, void*) const {
    if (!config.is_object() || !config.contains("target")) throw ConfigError("target", "is required");
    if (!config["target"].is_string()) throw ConfigError("target", "must be a string");
    return StorePartition(store, config["target"].get<std::string>(), worker_index);
  }
};

WireServer<StoreSink> server_for(const StoreSink& sink) {
  WireServer<StoreSink> s;
  s.fields = {{"value", "int"}};
  s.from_item = [](const json& j) { return Event{j.at("key").get<std::string>(), j.at("value").get<std::int64_t>()}; };
  s.to_item = [](const Event& e) { return json{{"key", e.key}, {"value", e.value}}; };
  s.read_back = [store = sink.store](const json& config) { return store->targets[config.at("target").get<std::string>()]; };
  s.capabilities.durability = Durability::on_close;
  s.config_template = json{{"target", "{target_id}"}};
  return s;
}

struct Served {
  int exit_code = -1;
  std::vector<json> responses;
  std::string raw;
};

// Runs serve_wire over `lines` (each a request line without its `\n`).
Served serve(const StoreSink& sink, const WireServer<StoreSink>& server, const std::vector<std::string>& lines) {
  std::string input;
  for (const auto& l : lines) input += l + "\n";
  std::istringstream in(input);
  std::ostringstream out;
  Served s;
  s.exit_code = serve_wire(sink, server, in, out);
  s.raw = out.str();
  std::istringstream produced(s.raw);
  for (std::string line; std::getline(produced, line);) s.responses.push_back(json::parse(line));
  return s;
}

std::string line(const wire::Request& r) {
  auto text = wire::to_line(wire::encode(r));
  text.pop_back();
  return text;
}

json items(std::initializer_list<std::pair<std::string, std::int64_t>> events) {
  json out = json::array();
  for (const auto& [key, value] : events) out.push_back({{"key", key}, {"value", value}});
  return out;
}

const json kOk = {{"ok", true}};

void expect_error(const json& response, wire::ErrorKind kind, const std::string& words) {
  ASSERT_EQ(response["ok"], false) << response;
  EXPECT_EQ(response["error"]["kind"], wire::to_string(kind)) << response;
  EXPECT_NE(response["error"]["message"].get<std::string>().find(words), std::string::npos) << response;
}

TEST(WireServer, AnswersEveryOpInOrder) {
  StoreSink sink;
  const auto server = server_for(sink);
  const json config = {{"target", "t1"}};
  const auto s = serve(sink, server,
                       {line(wire::Hello{}),
                        line(wire::Build{"p0-w0-b0", config, 0, 1}),
                        line(wire::WriteBatch{"p0-w0-b0", items({{"0.0.0.0", 7}, {"0.0.0.1", 8}})}),
                        line(wire::WriteBatch{"p0-w0-b0", json::array()}),
                        line(wire::Close{"p0-w0-b0"}),
                        line(wire::Close{"p0-w0-b0"}),
                        line(wire::WriteBatch{"p0-w0-b0", items({{"0.0.0.2", 9}})}),
                        line(wire::ReadBack{config}),
                        line(wire::Shutdown{}),
                        line(wire::Hello{})});  // after shutdown: never read
  EXPECT_EQ(s.exit_code, 0);
  ASSERT_EQ(s.responses.size(), 9U) << s.raw;

  const auto& hello = s.responses[0];
  EXPECT_EQ(hello["ok"], true);
  EXPECT_EQ(hello["protocol"], wire::kProtocolVersion);
  EXPECT_EQ(hello["sink"]["name"], "store");
  EXPECT_EQ(hello["sink"]["router_branch_safe"], true);
  EXPECT_EQ(hello["sink"]["payload"], (json{{"fields", {{"value", "int"}}}}));
  EXPECT_EQ(hello["sink"]["config_template"], (json{{"target", "{target_id}"}}));
  EXPECT_EQ(hello["sink"]["capabilities"]["durability"], "on_close");
  EXPECT_EQ(hello["sink"]["capabilities"]["fault_injection"], false);
  const auto info = wire::decode_hello_ok(hello).sink;  // what the runner accepts
  EXPECT_EQ(info.capabilities.durability, Durability::on_close);

  EXPECT_EQ(s.responses[1], kOk) << "build";
  EXPECT_EQ(s.responses[2], kOk) << "write_batch";
  EXPECT_EQ(s.responses[3], kOk) << "an empty write_batch";
  EXPECT_EQ(s.responses[4], kOk) << "close";
  EXPECT_EQ(s.responses[5], kOk) << "a repeated close";
  expect_error(s.responses[6], wire::ErrorKind::closed, "closed partition");
  EXPECT_EQ(s.responses[7], (json{{"ok", true}, {"items", items({{"0.0.0.0", 7}, {"0.0.0.1", 8}})}}));
  EXPECT_EQ(s.responses[8], kOk) << "shutdown";
  std::istringstream produced(s.raw);
  for (std::string text; std::getline(produced, text);) {
    EXPECT_EQ(text + "\n", wire::to_line(json::parse(text))) << "compact lines, nothing else";
  }
}

TEST(WireServer, FaultWithAHookFailsTheWriteThatCrossesItOnceAndDeclaresFaultInjection) {
  StoreSink sink;
  auto server = server_for(sink);
  std::vector<std::pair<std::string, std::int64_t>> armed;
  server.arm_fault = [&armed, store = sink.store](const ServedPartition& p, std::int64_t after_items) {
    armed.emplace_back(p.name, after_items);
    EXPECT_EQ(p.worker_index, 1);
    EXPECT_EQ(p.worker_count, 2);
    store->armed[{p.config.at("target").get<std::string>(), p.worker_index}] = after_items;
  };
  const json config = {{"target", "t2"}};
  const auto s = serve(sink, server,
                       {line(wire::Hello{}),
                        line(wire::Build{"p1-w1-b0", config, 1, 2}),
                        line(wire::Fault{"p1-w1-b0", 2}),
                        line(wire::WriteBatch{"p1-w1-b0", items({{"1.0.0.0", 1}})}),
                        line(wire::WriteBatch{"p1-w1-b0", items({{"1.0.0.1", 2}, {"1.0.0.2", 3}})}),
                        line(wire::WriteBatch{"p1-w1-b0", items({{"1.0.0.3", 4}})}),
                        line(wire::Fault{"p9-w0-b0", 0}),
                        line(wire::Close{"p1-w1-b0"}),
                        line(wire::ReadBack{config})});
  ASSERT_EQ(s.responses.size(), 9U) << s.raw;
  EXPECT_EQ(s.responses[0]["sink"]["capabilities"]["fault_injection"], true);
  EXPECT_TRUE(wire::decode_hello_ok(s.responses[0]).sink.capabilities.fault_injection);
  EXPECT_EQ(s.responses[2], kOk) << "fault";
  EXPECT_EQ(armed, (std::vector<std::pair<std::string, std::int64_t>>{{"p1-w1-b0", 2}}));
  EXPECT_EQ(s.responses[3], kOk);
  expect_error(s.responses[4], wire::ErrorKind::write, "injected storage fault");
  EXPECT_EQ(s.responses[5], kOk) << "the fault fires once";
  expect_error(s.responses[6], wire::ErrorKind::protocol, "unknown partition 'p9-w0-b0'");
  EXPECT_EQ(s.responses[7], kOk);
  EXPECT_EQ(s.responses[8]["items"], items({{"1.0.0.0", 1}, {"1.0.0.3", 4}}));
}

TEST(WireServer, FaultWithoutAHookIsAProtocolErrorAndHelloDoesNotDeclareIt) {
  StoreSink sink;
  auto server = server_for(sink);
  server.capabilities.fault_injection = true;  // declared, but nothing can arm a fault
  const auto s = serve(sink, server,
                       {line(wire::Hello{}), line(wire::Build{"p0", {{"target", "t3"}}, 0, 1}), line(wire::Fault{"p0", 1}),
                        line(wire::WriteBatch{"p0", items({{"0.0.0.0", 1}, {"0.0.0.1", 2}})})});
  ASSERT_EQ(s.responses.size(), 4U) << s.raw;
  EXPECT_EQ(s.responses[0]["sink"]["capabilities"]["fault_injection"], false);
  expect_error(s.responses[2], wire::ErrorKind::protocol, "does not declare fault_injection");
  EXPECT_EQ(s.responses[3], kOk) << "no fault was armed";
}

TEST(WireServer, DropTargetCallsTheHookAndHelloSaysSo) {
  StoreSink sink;
  auto server = server_for(sink);
  std::vector<json> dropped;
  server.drop_target = [&dropped](const json& config) { dropped.push_back(config); };
  const auto s = serve(sink, server, {line(wire::Hello{}), line(wire::DropTarget{{{"target", "t9"}}})});
  ASSERT_EQ(s.responses.size(), 2U) << s.raw;
  EXPECT_EQ(s.responses[0]["drops_targets"], true);
  EXPECT_EQ(s.responses[1], kOk);
  EXPECT_EQ(dropped, (std::vector<json>{{{"target", "t9"}}}));

  const auto without = serve(sink, server_for(sink), {line(wire::Hello{}), line(wire::DropTarget{{{"target", "t9"}}})});
  ASSERT_EQ(without.responses.size(), 2U) << without.raw;
  EXPECT_FALSE(without.responses[0].contains("drops_targets"));
  expect_error(without.responses[1], wire::ErrorKind::protocol, "does not drop targets");
}

TEST(WireServer, ABadConfigIsAConfigErrorNamingTheKey) {
  StoreSink sink;
  const auto s = serve(sink, server_for(sink),
                       {line(wire::Build{"p0", json::object(), 0, 1}), line(wire::Build{"p1", {{"target", 42}}, 0, 1}),
                        line(wire::Build{"p2", nullptr, 0, 1})});
  ASSERT_EQ(s.responses.size(), 3U) << s.raw;
  expect_error(s.responses[0], wire::ErrorKind::config, "config key 'target': is required");
  expect_error(s.responses[1], wire::ErrorKind::config, "must be a string");
  expect_error(s.responses[2], wire::ErrorKind::config, "'target'");
}

TEST(WireServer, RequestsItCannotUnderstandAreProtocolErrorsAndServingGoesOn) {
  StoreSink sink;
  const auto s = serve(sink, server_for(sink),
                       {R"({"op":"compact","partition":"p0"})",
                        "this is not json",
                        R"(["op","hello"])",
                        "",  // blank lines are skipped, not answered
                        R"({"op":"close"})",
                        R"({"op":"close","partition":"never-built"})",
                        R"({"op":"hello","protocol":2})",
                        line(wire::Build{"p0", {{"target", "t4"}}, 0, 1}),
                        line(wire::Build{"p0", {{"target", "t4"}}, 0, 1}),
                        R"({"op":"write_batch","partition":"p0","items":[{"key":"0.0.0.0"}]})",
                        R"({"op":"write_batch","partition":"p0","items":[{"key":"0.0.0.1","value":5,"extra":[1]}],"x":1})",
                        R"({"op":"shutdown","reason":"done"})"});
  EXPECT_EQ(s.exit_code, 0);
  ASSERT_EQ(s.responses.size(), 11U) << s.raw;
  expect_error(s.responses[0], wire::ErrorKind::protocol, "unknown op 'compact'");
  expect_error(s.responses[1], wire::ErrorKind::protocol, "not JSON");
  expect_error(s.responses[2], wire::ErrorKind::protocol, "must be a JSON object");
  expect_error(s.responses[3], wire::ErrorKind::protocol, "'partition' is missing");
  expect_error(s.responses[4], wire::ErrorKind::protocol, "unknown partition 'never-built'");
  expect_error(s.responses[5], wire::ErrorKind::protocol, "protocol 1, not 2");
  EXPECT_EQ(s.responses[6], kOk);
  expect_error(s.responses[7], wire::ErrorKind::protocol, "already built");
  expect_error(s.responses[8], wire::ErrorKind::protocol, "item 0 of the batch");
  EXPECT_EQ(s.responses[9], kOk) << "extra item fields and request fields are accepted";
  EXPECT_EQ(s.responses[10], kOk);
}

TEST(WireServer, EndOfInputEndsServingWithZero) {
  StoreSink sink;
  const auto s = serve(sink, server_for(sink), {line(wire::Hello{})});
  EXPECT_EQ(s.exit_code, 0);
  EXPECT_EQ(s.responses.size(), 1U);
}

TEST(WireServer, ErrorsFromTheSinkKeepTheirKinds) {
  StoreSink sink;
  auto server = server_for(sink);
  server.read_back = [](const json&) -> std::vector<Event> { throw std::runtime_error("no such target"); };
  server.arm_fault = [](const ServedPartition&, std::int64_t) { throw SinkError("cannot reach the disk"); };
  const auto s = serve(sink, server,
                       {line(wire::Build{"p0", {{"target", "t5"}}, 0, 1}), line(wire::ReadBack{{{"target", "t5"}}}),
                        line(wire::Fault{"p0", 0})});
  ASSERT_EQ(s.responses.size(), 3U) << s.raw;
  expect_error(s.responses[1], wire::ErrorKind::other, "no such target");
  expect_error(s.responses[2], wire::ErrorKind::write, "cannot reach the disk");
}

}  // namespace
