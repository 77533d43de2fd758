#pragma once
/// \file
/// `serve_wire`: the sink side of the wire protocol for a C++ node, so a C++
/// sink can also be checked out of process (in its own process, one per
/// worker, killed for the crash rule), and so the in-process and
/// out-of-process paths can be compared on the same sink. It reads and
/// writes the messages of wire_messages.hpp, the same ones `WireSink` sends,
/// and answers every op of version 1.
///
/// **Example** (a program `my_sink_server`, then `sinkkit run -- ./my_sink_server`):
///
///     int main() {
///       sinkkit::WireServer<MySink> server{
///           .fields = {{"value", "int"}},
///           .from_item = [](const nlohmann::json& j) { return Event{j.at("key"), j.at("value")}; },
///           .to_item = [](const Event& e) { return nlohmann::json{{"key", e.key}, {"value", e.value}}; },
///           .read_back = [](const nlohmann::json& config) { return MySink::read_all(config); },
///           .capabilities = {.durability = sinkkit::Durability::on_close},
///           .config_template = nlohmann::json{{"dir", "{target}"}},
///           // optional: enables the fault op (and declares fault_injection)
///           .arm_fault = [](const sinkkit::ServedPartition& p, std::int64_t after_items) {
///             std::ofstream(p.config.at("dir").get<std::string>() + "/fail_after") << after_items;
///           }};
///       return sinkkit::serve_wire(MySink{}, server);
///     }

#include <cstdint>
#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/any_partition.hpp>
#include <sinkkit/protocol/capabilities.hpp>
#include <sinkkit/protocol/concepts.hpp>
#include <sinkkit/runners/wire_messages.hpp>

namespace sinkkit {
inline namespace runners {

/// A partition `serve_wire` built, as its `build` request named it.
struct ServedPartition {
  std::string name;
  nlohmann::json config;
  int worker_index = 0;
  int worker_count = 1;
};

template <IntoSink Node>
struct WireServer {
  using payload_type = payload_of<Node>;
  std::map<std::string, std::string> fields;
  std::function<payload_type(const nlohmann::json&)> from_item;
  std::function<nlohmann::json(const payload_type&)> to_item;
  std::function<std::vector<payload_type>(const nlohmann::json&)> read_back;
  /// Declared in hello as given, except `fault_injection`, which says
  /// whether `arm_fault` is set (the fault op works exactly then).
  Capabilities capabilities;
  std::optional<nlohmann::json> config_template;
  /// Makes the storage of `partition` fail the write that takes it past
  /// `after_items` more items, once. Without it, `fault` is answered with a
  /// `protocol` error.
  std::function<void(const ServedPartition& partition, std::int64_t after_items)> arm_fault;
  /// Removes what the target of `config` holds on a server. With it, hello
  /// says `"drops_targets": true` and the kit sends `drop_target` after each
  /// target's read-back; without it, `drop_target` is a `protocol` error.
  std::function<void(const nlohmann::json& config)> drop_target;
};

}  // namespace runners

namespace detail {

/// The requests' lines from `in`. On std::cin they are read from file
/// descriptor 0 in large blocks: std::getline on a cin synchronised with
/// stdio takes a character at a time, which was a third of a served sink's
/// time at large batches.
class RequestLines {
 public:
  explicit RequestLines(std::istream& in);
  /// The next line, without its '\n', valid until the next call; false at
  /// the end of input (a last line without '\n' is still given).
  bool next(std::string_view& line);

 private:
  std::istream* in_;
  bool from_fd_;
  std::string buffer_;
  std::size_t begin_ = 0;  // where the next line starts in buffer_
  std::size_t scanned_ = 0;  // no '\n' in buffer_[begin_, scanned_)
  bool eof_ = false;
};

}  // namespace detail

inline namespace runners {

/// Serves `node` on `in`/`out` (stdin/stdout) until `shutdown` or end of
/// input; returns the process exit code (0). Every request gets one line:
/// one it cannot decode (not JSON, unknown op, missing field, unknown
/// partition) a `protocol` error; an exception from the sink the kind
/// `wire::error_kind_of` gives it.
template <IntoSink Node>
int serve_wire(Node node, const WireServer<Node>& server, std::istream& in = std::cin, std::ostream& out = std::cout) {
  using payload_type = payload_of<Node>;
  struct Served {
    AnyPartition<payload_type> partition;
    ServedPartition info;
  };
  std::map<std::string, Served, std::less<>> partitions;
  auto served = [&partitions](const std::string& name) -> Served& {
    auto it = partitions.find(name);
    if (it == partitions.end()) throw wire::ProtocolError("unknown partition '" + name + "'");
    return it->second;
  };

  std::vector<payload_type> items;  // the write_batch being read, as payloads
  auto take_item = [&](const nlohmann::json& item, std::size_t index) {
    try {
      items.push_back(server.from_item(item));
    } catch (const std::exception& e) {
      // The item lacks what the sink declared: the request is at fault, not the storage.
      throw wire::ProtocolError("item " + std::to_string(index) + " of the batch: " + e.what());
    }
  };
  auto answer = [&](const wire::Request& request) -> nlohmann::json {
    return std::visit(
        [&](const auto& r) -> nlohmann::json {
          using R = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<R, wire::Hello>) {
            if (r.protocol != wire::kProtocolVersion) {
              return wire::encode(wire::Failure{wire::ErrorKind::protocol,
                                                "this sink speaks protocol " + std::to_string(wire::kProtocolVersion) +
                                                    ", not " + std::to_string(r.protocol)});
            }
            wire::HelloOk hello{{.name = std::string(std::string_view(node.name)),
                                 .router_branch_safe = Node::router_branch_safe,
                                 .fields = server.fields,
                                 .capabilities = server.capabilities,
                                 .config_template = server.config_template}};
            hello.sink.capabilities.fault_injection = static_cast<bool>(server.arm_fault);
            hello.drops_targets = static_cast<bool>(server.drop_target);
            // Rows: less to parse, and no object built per item (parse_request).
            hello.item_encodings = {"rows", "objects"};
            return wire::encode(hello);
          } else if constexpr (std::is_same_v<R, wire::Build>) {
            if (partitions.contains(r.partition)) {
              throw wire::ProtocolError("partition '" + r.partition + "' was already built");
            }
            auto partition = build_any_partition(node, r.config, r.worker_index, r.worker_count, nullptr, nullptr);
            partitions.emplace(r.partition,
                               Served{std::move(partition), {r.partition, r.config, r.worker_index, r.worker_count}});
            return wire::encode(wire::Ok{});
          } else if constexpr (std::is_same_v<R, wire::WriteBatch>) {
            auto& target = served(r.partition);
            // The items the parser handed over already (take_item), then any it kept (another order).
            for (std::size_t i = 0; i < r.items.size(); ++i) take_item(r.items[i], i);
            target.partition.write_batch(Batch<payload_type>(items));
            return wire::encode(wire::Ok{});
          } else if constexpr (std::is_same_v<R, wire::Close>) {
            served(r.partition).partition.close();
            return wire::encode(wire::Ok{});
          } else if constexpr (std::is_same_v<R, wire::ReadBack>) {
            wire::ReadBackOk stored;
            for (const auto& item : server.read_back(r.config)) stored.items.push_back(server.to_item(item));
            return wire::encode(stored);
          } else if constexpr (std::is_same_v<R, wire::Fault>) {
            if (!server.arm_fault) {
              throw wire::ProtocolError("this sink does not declare fault_injection (its WireServer has no arm_fault)");
            }
            server.arm_fault(served(r.partition).info, r.after_items);
            return wire::encode(wire::Ok{});
          } else if constexpr (std::is_same_v<R, wire::DropTarget>) {
            if (!server.drop_target) throw wire::ProtocolError("this sink does not drop targets (no drop_target)");
            server.drop_target(r.config);
            return wire::encode(wire::Ok{});
          } else if constexpr (std::is_same_v<R, wire::ListParts> || std::is_same_v<R, wire::Route> ||
                               std::is_same_v<R, wire::BuildPart> || std::is_same_v<R, wire::Snapshot>) {
            throw wire::ProtocolError("this sink has no stateful partitions (its hello does not say \"stateful\")");
          } else {
            // Shutdown, and CollectGarbage: C++ has no garbage to collect.
            static_assert(std::is_same_v<R, wire::Shutdown> || std::is_same_v<R, wire::CollectGarbage>);
            return wire::encode(wire::Ok{});
          }
        },
        request);
  };

  detail::RequestLines lines(in);
  for (std::string_view line; lines.next(line);) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    nlohmann::json response;
    bool shutdown = false;
    std::optional<wire::Op> op;
    try {
      items.clear();
      const auto request = wire::parse_request(line, take_item);
      op = wire::op_of(request);
      response = answer(request);
      shutdown = *op == wire::Op::shutdown;
    } catch (const std::exception& e) {
      const auto kind = op ? wire::error_kind_of(e, *op) : wire::ErrorKind::protocol;
      response = wire::encode(wire::Failure{kind, e.what()});
    } catch (...) {
      response = wire::encode(wire::Failure{wire::ErrorKind::other, "an exception not derived from std::exception"});
    }
    out << wire::to_line(response) << std::flush;
    if (shutdown) return 0;
  }
  return 0;
}

}  // namespace runners
}  // namespace sinkkit
