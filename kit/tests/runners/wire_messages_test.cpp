// The wire messages both ends share: every request and response survives
// encode -> line -> decode, unknown fields are ignored, unknown error kinds
// become `other`, and the names on the wire are the contract's.

#include <string>

#include <gtest/gtest.h>
#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/runners/wire_messages.hpp>

namespace {

using namespace sinkkit;
using nlohmann::json;

// Through the line form, as the other end would read it.
json over_the_wire(const json& message) {
  const auto line = wire::to_line(message);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per message";
  return json::parse(line);
}

// As the server reads it: one line, its `\n` taken off by getline.
wire::Request round_trip(const wire::Request& request) {
  auto line = wire::to_line(wire::encode(request));
  line.pop_back();
  return wire::parse_request(line);
}

TEST(WireMessages, TheVersionIsOne) { EXPECT_EQ(wire::kProtocolVersion, 1); }

TEST(WireMessages, HelloRoundTripsAndIsSpelledAsTheContractSays) {
  EXPECT_EQ(wire::to_line(wire::encode(wire::Hello{})), "{\"op\":\"hello\",\"protocol\":1}\n");
  EXPECT_EQ(std::get<wire::Hello>(round_trip(wire::Hello{})).protocol, 1);
  EXPECT_EQ(std::get<wire::Hello>(round_trip(wire::Hello{2})).protocol, 2);
}

TEST(WireMessages, BuildRoundTrips) {
  const wire::Build build{"p3-w1-b0", {{"dir", "/tmp/t"}, {"n", 5}}, 1, 4};
  EXPECT_EQ(wire::encode(build),
            json::parse(R"({"op":"build","partition":"p3-w1-b0","config":{"dir":"/tmp/t","n":5},
                            "worker_index":1,"worker_count":4,"bridge":true})"));
  const auto back = std::get<wire::Build>(round_trip(build));
  EXPECT_EQ(back.partition, build.partition);
  EXPECT_EQ(back.config, build.config);
  EXPECT_EQ(back.worker_index, 1);
  EXPECT_EQ(back.worker_count, 4);
  EXPECT_TRUE(back.bridge);
}

TEST(WireMessages, BuildSaysWhetherToHandTheBridgeAndDefaultsToYes) {
  EXPECT_FALSE(std::get<wire::Build>(round_trip(wire::Build{"p", {}, 0, 1, false})).bridge);
  // A runner of the first version sends no "bridge": the sink hands its bridge.
  const auto old = wire::decode_request(
      json::parse(R"({"op":"build","partition":"p","config":{},"worker_index":0,"worker_count":1})"));
  EXPECT_TRUE(std::get<wire::Build>(old).bridge);
  try {
    (void)wire::decode_request(
        json::parse(R"({"op":"build","partition":"p","config":{},"worker_index":0,"worker_count":1,"bridge":"no"})"));
    FAIL() << "a bridge that is not a boolean must be refused";
  } catch (const wire::ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("'bridge' must be a boolean"), std::string::npos) << e.what();
  }
}

TEST(WireMessages, BuildKeepsAConfigThatIsNotAnObject) {
  // Config probes are the sink's to judge, so any JSON value passes the wire.
  EXPECT_EQ(std::get<wire::Build>(round_trip(wire::Build{"p", nullptr, 0, 1})).config, nullptr);
}

TEST(WireMessages, WriteBatchRoundTripsWithExtraItemFields) {
  const json items = json::parse(R"([{"key":"0.0.0.0","value":1},{"key":"0.0.0.1","value":2,"sinkkit_subtype":{"level":2}}])");
  const wire::WriteBatch batch{"p0", items};
  EXPECT_EQ(wire::encode(batch), (json{{"op", "write_batch"}, {"partition", "p0"}, {"items", items}}));
  const auto back = std::get<wire::WriteBatch>(round_trip(batch));
  EXPECT_EQ(back.partition, "p0");
  EXPECT_EQ(back.items, items);
  EXPECT_TRUE(std::get<wire::WriteBatch>(round_trip(wire::WriteBatch{"p0", json::array()})).items.empty());
}

void expect_protocol_error(const std::string& line, const std::string& words);

TEST(WireMessages, CloseReadBackFaultAndShutdownRoundTrip) {
  EXPECT_EQ(wire::to_line(wire::encode(wire::Close{"p1"})), "{\"op\":\"close\",\"partition\":\"p1\"}\n");
  EXPECT_EQ(std::get<wire::Close>(round_trip(wire::Close{"p1"})).partition, "p1");

  EXPECT_EQ(wire::encode(wire::ReadBack{{{"dir", "/t"}}}), json::parse(R"({"op":"read_back","config":{"dir":"/t"}})"));
  EXPECT_EQ(std::get<wire::ReadBack>(round_trip(wire::ReadBack{{{"dir", "/t"}}})).config, (json{{"dir", "/t"}}));

  EXPECT_EQ(wire::to_line(wire::encode(wire::Fault{"p2", 17})),
            "{\"after_items\":17,\"op\":\"fault\",\"partition\":\"p2\"}\n");
  const auto fault = std::get<wire::Fault>(round_trip(wire::Fault{"p2", 17}));
  EXPECT_EQ(fault.partition, "p2");
  EXPECT_EQ(fault.after_items, 17);

  EXPECT_EQ(wire::to_line(wire::encode(wire::Shutdown{})), "{\"op\":\"shutdown\"}\n");
  EXPECT_TRUE(std::holds_alternative<wire::Shutdown>(round_trip(wire::Shutdown{})));

  EXPECT_EQ(wire::to_line(wire::encode(wire::CollectGarbage{})), "{\"op\":\"collect_garbage\"}\n");
  EXPECT_TRUE(std::holds_alternative<wire::CollectGarbage>(round_trip(wire::CollectGarbage{})));
  EXPECT_EQ(wire::op_of(wire::CollectGarbage{}), wire::Op::collect_garbage);

  EXPECT_EQ(wire::encode(wire::DropTarget{{{"table", "events_t1"}}}),
            json::parse(R"({"op":"drop_target","config":{"table":"events_t1"}})"));
  EXPECT_EQ(std::get<wire::DropTarget>(round_trip(wire::DropTarget{{{"table", "e"}}})).config, (json{{"table", "e"}}));
  EXPECT_EQ(wire::op_of(wire::DropTarget{}), wire::Op::drop_target);
  expect_protocol_error(R"({"op":"drop_target"})", "config");
}

TEST(WireMessages, TheStatefulOpsRoundTrip) {
  const json config = {{"directory", "/t"}};
  EXPECT_EQ(wire::encode(wire::ListParts{config}), json::parse(R"({"op":"list_parts","config":{"directory":"/t"}})"));
  EXPECT_EQ(std::get<wire::ListParts>(round_trip(wire::ListParts{config})).config, config);
  const auto route = std::get<wire::Route>(round_trip(wire::Route{config, {"0.0.0.1", "1.0.2.7"}}));
  EXPECT_EQ(route.keys, (std::vector<std::string>{"0.0.0.1", "1.0.2.7"}));
  const wire::BuildPart fresh{"s1-p0", config, "p0", std::nullopt, 1, 3};
  EXPECT_EQ(wire::encode(fresh)["resume_state"], nullptr);
  const auto resumed = std::get<wire::BuildPart>(round_trip(wire::BuildPart{"s2-p0", config, "p0", "gASV", 0, 2}));
  EXPECT_EQ(resumed.resume_state, std::optional<std::string>("gASV"));
  EXPECT_EQ(resumed.part, "p0");
  EXPECT_EQ(resumed.worker_count, 2);
  EXPECT_FALSE(std::get<wire::BuildPart>(round_trip(fresh)).resume_state.has_value());
  EXPECT_EQ(std::get<wire::Snapshot>(round_trip(wire::Snapshot{"s1-p0"})).partition, "s1-p0");
  expect_protocol_error(R"({"op":"route","config":{},"keys":[1]})", "a key that is not a string");
  expect_protocol_error(
      R"({"op":"build_part","partition":"a","config":{},"part":"p","resume_state":7,"worker_index":0,"worker_count":1})",
      "'resume_state' must be a string or null");
  wire::HelloOk hello{{.name = "s"}};
  hello.stateful = true;
  EXPECT_TRUE(wire::decode_hello_ok(wire::encode(hello)).stateful);
  EXPECT_FALSE(wire::decode_hello_ok(wire::encode(wire::HelloOk{{.name = "s"}})).stateful);
}

TEST(WireMessages, HelloSaysWhetherTheSinkDropsTargets) {
  wire::HelloOk hello{{.name = "s"}};
  EXPECT_FALSE(wire::encode(hello).contains("drops_targets")) << "absent unless the sink drops targets";
  EXPECT_FALSE(wire::decode_hello_ok(wire::encode(hello)).drops_targets);
  hello.drops_targets = true;
  EXPECT_EQ(wire::encode(hello)["drops_targets"], true);
  EXPECT_TRUE(wire::decode_hello_ok(wire::encode(hello)).drops_targets);
  auto bad = wire::encode(hello);
  bad["drops_targets"] = "yes";
  try {
    (void)wire::decode_hello_ok(bad);
    FAIL() << "a drops_targets that is not a boolean must be refused";
  } catch (const wire::ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("drops_targets is not a boolean"), std::string::npos) << e.what();
  }
}

TEST(WireMessages, OpOfNamesEveryRequest) {
  EXPECT_EQ(wire::op_of(wire::Hello{}), wire::Op::hello);
  EXPECT_EQ(wire::op_of(wire::Build{}), wire::Op::build);
  EXPECT_EQ(wire::op_of(wire::WriteBatch{}), wire::Op::write_batch);
  EXPECT_EQ(wire::op_of(wire::Close{}), wire::Op::close);
  EXPECT_EQ(wire::op_of(wire::ReadBack{}), wire::Op::read_back);
  EXPECT_EQ(wire::op_of(wire::Fault{}), wire::Op::fault);
  EXPECT_EQ(wire::op_of(wire::Shutdown{}), wire::Op::shutdown);
  EXPECT_EQ(wire::to_string(wire::Op::write_batch), "write_batch");
  EXPECT_EQ(wire::to_string(wire::Op::read_back), "read_back");
}

TEST(WireMessages, UnknownRequestFieldsAreIgnored) {
  const auto r = wire::decode_request(
      json::parse(R"({"op":"fault","partition":"p","after_items":3,"trace_id":"x","v2":{"nested":true}})"));
  EXPECT_EQ(std::get<wire::Fault>(r).after_items, 3);
  EXPECT_TRUE(std::holds_alternative<wire::Shutdown>(wire::decode_request(json::parse(R"({"op":"shutdown","why":"done"})"))));
}

void expect_protocol_error(const std::string& line, const std::string& words) {
  try {
    (void)wire::parse_request(line);
    ADD_FAILURE() << "should not decode: " << line;
  } catch (const wire::ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(WireMessages, RequestsThatAreNotUnderstoodAreProtocolErrorsNamingWhy) {
  expect_protocol_error("not json", "not JSON: 'not json'");
  expect_protocol_error("[1,2]", "must be a JSON object");
  expect_protocol_error(R"({"partition":"p"})", "'op' is missing");
  expect_protocol_error(R"({"op":"frobnicate"})", "unknown op 'frobnicate'");
  expect_protocol_error(R"({"op":"close"})", "'partition' is missing");
  expect_protocol_error(R"({"op":"close","partition":3})", "'partition' must be a string");
  expect_protocol_error(R"({"op":"fault","partition":"p","after_items":1.5})", "'after_items' must be an integer");
  expect_protocol_error(R"({"op":"fault","partition":"p","after_items":true})", "'after_items' must be an integer");
  expect_protocol_error(R"({"op":"build","partition":"p","config":{},"worker_index":0})", "'worker_count' is missing");
  expect_protocol_error(R"({"op":"build","partition":"p","worker_index":0,"worker_count":1})", "'config' is missing");
  expect_protocol_error(R"({"op":"write_batch","partition":"p","items":{}})", "'items' must be an array");
  expect_protocol_error(R"({"op":"write_batch","partition":"p","items":[1]})", "item 0 of the batch is not an object");
  expect_protocol_error(R"({"op":"read_back"})", "'config' is missing");
  expect_protocol_error(R"({"op":"hello"})", "'protocol' is missing");
}

TEST(WireMessages, OkAndReadBackResponsesRoundTrip) {
  EXPECT_EQ(wire::to_line(wire::encode(wire::Ok{})), "{\"ok\":true}\n");
  EXPECT_EQ(wire::failure_of(over_the_wire(wire::encode(wire::Ok{}))), std::nullopt);

  const json items = json::parse(R"([{"key":"0.0.0.0","value":7},{"key":"0.0.0.1","value":8}])");
  const auto r = over_the_wire(wire::encode(wire::ReadBackOk{items}));
  EXPECT_EQ(r, (json{{"ok", true}, {"items", items}}));
  EXPECT_EQ(wire::decode_read_back_ok(r).items, items);
  EXPECT_EQ(wire::decode_read_back_ok(json::parse(R"({"ok":true,"items":[],"stats":{"rows":0}})")).items, json::array());
  EXPECT_THROW((void)wire::decode_read_back_ok(json::parse(R"({"ok":true})")), wire::ProtocolError);
  EXPECT_THROW((void)wire::decode_read_back_ok(wire::encode(wire::Failure{wire::ErrorKind::other, "no db"})),
               wire::ProtocolError);
}

TEST(WireMessages, EveryErrorKindRoundTripsByItsContractName) {
  const std::pair<wire::ErrorKind, std::string> kinds[] = {{wire::ErrorKind::config, "config"},
                                                           {wire::ErrorKind::closed, "closed"},
                                                           {wire::ErrorKind::write, "write"},
                                                           {wire::ErrorKind::protocol, "protocol"},
                                                           {wire::ErrorKind::other, "other"}};
  for (const auto& [kind, name] : kinds) {
    EXPECT_EQ(wire::to_string(kind), name);
    EXPECT_EQ(wire::parse_error_kind(name), kind);
    EXPECT_EQ(wire::error_kind_from_string(name), kind);
    const auto r = over_the_wire(wire::encode(wire::Failure{kind, "it broke"}));
    EXPECT_EQ(r, (json{{"ok", false}, {"error", {{"kind", name}, {"message", "it broke"}}}}));
    const auto failure = wire::failure_of(r);
    ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind, kind);
    EXPECT_EQ(failure->message, "it broke");
  }
}

TEST(WireMessages, AnUnknownErrorKindIsOtherAndKeepsTheSinksWord) {
  EXPECT_EQ(wire::parse_error_kind("timeout"), std::nullopt);
  EXPECT_EQ(wire::error_kind_from_string("timeout"), wire::ErrorKind::other);
  EXPECT_EQ(wire::error_kind_from_string("Write"), wire::ErrorKind::other) << "names are case-sensitive";

  const auto f = wire::failure_of(json::parse(R"({"ok":false,"error":{"kind":"timeout","message":"slow disk","retry":true}})"));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, wire::ErrorKind::other);
  EXPECT_EQ(f->message, "[error kind 'timeout'] slow disk");
}

TEST(WireMessages, AFailureWithoutADetailedErrorIsStillOther) {
  auto f = wire::failure_of(json::parse(R"({"ok":false})"));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, wire::ErrorKind::other);
  f = wire::failure_of(json::parse(R"({"ok":false,"error":"disk gone"})"));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, wire::ErrorKind::other);
  EXPECT_NE(f->message.find("disk gone"), std::string::npos);
  f = wire::failure_of(json::parse(R"({"ok":false,"error":{"kind":"write"}})"));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, wire::ErrorKind::write);
  EXPECT_EQ(f->message, "(the sink gave no message)");
}

TEST(WireMessages, IsResponseWantsAnObjectWithABooleanOk) {
  EXPECT_TRUE(wire::is_response(json::parse(R"({"ok":true})")));
  EXPECT_TRUE(wire::is_response(json::parse(R"({"ok":false,"extra":1})")));
  EXPECT_FALSE(wire::is_response(json::parse(R"({"ok":1})")));
  EXPECT_FALSE(wire::is_response(json::parse(R"([{"ok":true}])")));
  EXPECT_FALSE(wire::is_response(json::parse(R"({"status":"ok"})")));
}

WireSinkInfo sample_info() {
  WireSinkInfo info;
  info.name = "jsonl-file";
  info.router_branch_safe = true;
  info.fields = {{"value", "int"}, {"label", "string"}, {"ratio", "float"}, {"flag", "bool"}};
  info.capabilities.durability = Durability::on_close;
  info.capabilities.fault_injection = true;
  info.config_template = json{{"dir", "{target}"}};
  return info;
}

TEST(WireMessages, HelloOkRoundTrips) {
  const auto info = sample_info();
  const auto r = over_the_wire(wire::encode(wire::HelloOk{info}));
  EXPECT_EQ(r["protocol"], 1);
  EXPECT_EQ(r["sink"]["capabilities"]["fault_injection"], true);
  EXPECT_EQ(r["sink"]["capabilities"]["durability"], "on_close");
  EXPECT_EQ(r["sink"]["payload"]["fields"]["value"], "int");
  const auto back = wire::decode_hello_ok(r).sink;
  EXPECT_EQ(back.name, info.name);
  EXPECT_EQ(back.router_branch_safe, info.router_branch_safe);
  EXPECT_EQ(back.fields, info.fields);
  EXPECT_EQ(back.capabilities, info.capabilities);
  EXPECT_EQ(back.config_template, info.config_template);

  WireSinkInfo bare;
  bare.name = "bare";
  const auto bare_back = wire::decode_hello_ok(wire::encode(wire::HelloOk{bare})).sink;
  EXPECT_FALSE(wire::encode(wire::HelloOk{bare})["sink"].contains("config_template"));
  EXPECT_EQ(bare_back.config_template, std::nullopt);
  EXPECT_EQ(bare_back.capabilities, Capabilities{});
}

TEST(WireMessages, AMinimalHelloTakesTheDefaultsAndIgnoresUnknownFields) {
  const auto info = wire::decode_hello_ok(json::parse(
                                              R"({"ok":true,"protocol":1,"server":"x/1.0",
                          "sink":{"name":"s","router_branch_safe":false,"homepage":"https://example.org"}})"))
                        .sink;
  EXPECT_EQ(info.name, "s");
  EXPECT_TRUE(info.fields.empty());
  EXPECT_EQ(info.capabilities, Capabilities{});
}

void expect_bad_hello(const std::string& text, const std::string& words) {
  try {
    (void)wire::decode_hello_ok(json::parse(text));
    ADD_FAILURE() << "should be refused: " << text;
  } catch (const wire::ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(WireMessages, ABadHelloIsRefusedNamingWhatIsWrong) {
  expect_bad_hello(R"({"ok":false,"error":{"kind":"other","message":"no"}})", "refused hello");
  expect_bad_hello(R"({"ok":true,"protocol":2,"sink":{"name":"s","router_branch_safe":true}})", "protocol is not 1");
  expect_bad_hello(R"({"ok":true,"protocol":1})", "no \"sink\" object");
  expect_bad_hello(R"({"ok":true,"protocol":1,"sink":{"router_branch_safe":true}})", "sink.name");
  expect_bad_hello(R"({"ok":true,"protocol":1,"sink":{"name":"s","router_branch_safe":"yes"}})", "router_branch_safe");
  expect_bad_hello(R"({"ok":true,"protocol":1,"sink":{"name":"s","router_branch_safe":true,
                      "payload":{"fields":{"v":"decimal"}}}})",
                   "payload field 'v' has type \"decimal\"");
  expect_bad_hello(R"({"ok":true,"protocol":1,"sink":{"name":"s","router_branch_safe":true,
                      "payload":{"fields":{"key":"string"}}}})",
                   "\"key\" is the runner's");
  expect_bad_hello(R"({"ok":true,"protocol":1,"sink":{"name":"s","router_branch_safe":true,
                      "capabilities":{"durabilty":"on_close"}}})",
                   "unknown capability 'durabilty' (the known ones: accepts_empty_batches, delivery, durability,");
  expect_bad_hello(R"({"ok":true,"protocol":1,"sink":{"name":"s","router_branch_safe":true,
                      "capabilities":{"delivery":"at_most_once"}}})",
                   "capabilities.delivery");
  expect_bad_hello(R"({"ok":true,"protocol":1,"sink":{"name":"s","router_branch_safe":true,"config_template":[1]}})",
                   "config_template is not an object");
}

TEST(WireMessages, ALineIsAlwaysValidJsonEvenForInvalidUtf8) {
  const auto line = wire::to_line(json{{"message", std::string("bad \xff byte")}});
  EXPECT_TRUE(json::accept(line)) << line;
}

TEST(WireMessages, SinkExceptionsMapToTheContractsKinds) {
  using wire::ErrorKind;
  using wire::Op;
  EXPECT_EQ(wire::error_kind_of(ConfigError("dir", "is required"), Op::build), ErrorKind::config);
  EXPECT_EQ(wire::error_kind_of(ClosedError("write_batch"), Op::write_batch), ErrorKind::closed);
  EXPECT_EQ(wire::error_kind_of(SinkError("disk full"), Op::write_batch), ErrorKind::write);
  EXPECT_EQ(wire::error_kind_of(SinkError("disk full"), Op::read_back), ErrorKind::write);
  EXPECT_EQ(wire::error_kind_of(RemoteError("closed", "late"), Op::close), ErrorKind::closed);
  EXPECT_EQ(wire::error_kind_of(RemoteError("killed", "gone"), Op::close), ErrorKind::other);
  EXPECT_EQ(wire::error_kind_of(wire::ProtocolError("unknown partition"), Op::close), ErrorKind::protocol);
  EXPECT_EQ(wire::error_kind_of(std::invalid_argument("dir"), Op::build), ErrorKind::config);
  EXPECT_EQ(wire::error_kind_of(std::runtime_error("io"), Op::build), ErrorKind::other);
  EXPECT_EQ(wire::error_kind_of(std::runtime_error("io"), Op::write_batch), ErrorKind::write);
  EXPECT_EQ(wire::error_kind_of(std::runtime_error("io"), Op::close), ErrorKind::write);
  EXPECT_EQ(wire::error_kind_of(std::runtime_error("io"), Op::read_back), ErrorKind::other);
  EXPECT_EQ(wire::error_kind_of(std::runtime_error("io"), Op::fault), ErrorKind::other);
}

}  // namespace
