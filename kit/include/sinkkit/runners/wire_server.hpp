#pragma once
/// \file
/// `serve_wire`: the sink side of the wire protocol for a C++ node, so a C++
/// sink can also be checked out of process (in its own process, one per
/// worker, killed for the crash rule), and so the in-process and
/// out-of-process paths can be compared on the same sink.
///
/// **Example** (a program `my_sink_server`, then `sinkkit run -- ./my_sink_server`):
///
///     int main() {
///       sinkkit::WireServer<MySink> server{
///           .fields = {{"value", "int"}},
///           .from_item = [](const nlohmann::json& j) { return Row{j.at("key"), j.at("value")}; },
///           .to_item = [](const Row& r) { return nlohmann::json{{"key", r.key}, {"value", r.value}}; },
///           .read_back = [](const nlohmann::json& config) { return MySink::read_back(config); },
///           .capabilities = MySink::capabilities(),
///           .config_template = nlohmann::json{{"dir", "{target}"}}};
///       return sinkkit::serve_wire(MySink{}, server);
///     }

#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/any_partition.hpp>
#include <sinkkit/protocol/capabilities.hpp>
#include <sinkkit/protocol/concepts.hpp>
#include <sinkkit/protocol/errors.hpp>

namespace sinkkit {
inline namespace runners {

template <IntoSink Node>
struct WireServer {
  using payload_type = payload_of<Node>;
  std::map<std::string, std::string> fields;
  std::function<payload_type(const nlohmann::json&)> from_item;
  std::function<nlohmann::json(const payload_type&)> to_item;
  std::function<std::vector<payload_type>(const nlohmann::json&)> read_back;
  Capabilities capabilities;
  std::optional<nlohmann::json> config_template;
};

/// Serves `node` on stdin/stdout until `shutdown` or end of input; returns
/// the process exit code (0).
template <IntoSink Node>
int serve_wire(Node node, const WireServer<Node>& server, std::istream& in = std::cin, std::ostream& out = std::cout) {
  using payload_type = payload_of<Node>;
  std::map<std::string, AnyPartition<payload_type>> partitions;
  auto error = [](const char* kind, const std::string& message) {
    return nlohmann::json{{"ok", false}, {"error", {{"kind", kind}, {"message", message}}}};
  };
  auto partition = [&partitions](const nlohmann::json& req) -> AnyPartition<payload_type>& {
    auto it = partitions.find(req.at("partition").get<std::string>());
    if (it == partitions.end()) throw std::invalid_argument("unknown partition " + req.at("partition").dump());
    return it->second;
  };
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    nlohmann::json resp;
    std::string op;
    try {
      const auto req = nlohmann::json::parse(line);
      op = req.value("op", "");
      if (op == "hello") {
        nlohmann::json sink = {{"name", std::string(std::string_view(node.name))},
                               {"router_branch_safe", Node::router_branch_safe},
                               {"payload", {{"fields", server.fields}}},
                               {"capabilities", server.capabilities}};
        if (server.config_template) sink["config_template"] = *server.config_template;
        resp = {{"ok", true}, {"protocol", 1}, {"sink", sink}};
      } else if (op == "build") {
        const auto name = req.at("partition").get<std::string>();
        partitions.insert_or_assign(name, build_any_partition(node, req.at("config"), req.at("worker_index").get<int>(),
                                                              req.at("worker_count").get<int>(), nullptr, nullptr));
        resp = {{"ok", true}};
      } else if (op == "write_batch") {
        std::vector<payload_type> items;
        for (const auto& item : req.at("items")) items.push_back(server.from_item(item));
        partition(req).write_batch(Batch<payload_type>(items));
        resp = {{"ok", true}};
      } else if (op == "close") {
        partition(req).close();
        resp = {{"ok", true}};
      } else if (op == "read_back") {
        auto items = nlohmann::json::array();
        for (const auto& item : server.read_back(req.at("config"))) items.push_back(server.to_item(item));
        resp = {{"ok", true}, {"items", std::move(items)}};
      } else if (op == "shutdown") {
        resp = {{"ok", true}};
      } else {
        resp = error("protocol", "unknown op '" + op + "'");
      }
    } catch (const ConfigError& e) {
      resp = error("config", e.what());
    } catch (const ClosedError& e) {
      resp = error("closed", e.what());
    } catch (const nlohmann::json::exception& e) {
      resp = error("protocol", e.what());
    } catch (const std::invalid_argument& e) {
      resp = error(op == "build" ? "config" : "protocol", e.what());
    } catch (const std::exception& e) {
      resp = error("write", e.what());
    }
    out << resp.dump() << '\n' << std::flush;
    if (op == "shutdown") return 0;
  }
  return 0;
}

}  // namespace runners
}  // namespace sinkkit
