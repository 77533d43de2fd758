#pragma once
/// \file
/// The `Harness`: what a C++ sink author writes to run the conformance suite
/// on their sink (as gocloud.dev's drivertest asks of a driver), and
/// `HarnessSink<H>`, which serves a harness to the rules as a `SinkUnderTest`.
///
/// A harness is structural, like the protocol: no base class.
///
/// **Example**:
///
///     struct EventHarness {
///       using node_type = MySink;  // a sink of Event
///       node_type make_node() { return MySink{}; }
///       nlohmann::json make_config(const sinkkit::TestTarget& t) { return {{"dir", t.dir.string()}}; }
///       std::vector<Event> read_back(const nlohmann::json& config) { return MySink::read_all(config); }
///       Event make_item(const sinkkit::ItemKey& k) { return Event{sinkkit::to_string(k), k.seq}; }
///       sinkkit::ItemKey key_of(const Event& e) {
///         // A stored key that does not parse is none the kit wrote: the oracle counts it unexpected.
///         return sinkkit::parse_item_key(e.key).value_or(sinkkit::ItemKey{-1, -1, -1, -1});
///       }
///       sinkkit::Capabilities capabilities() { return {.durability = sinkkit::Durability::on_close}; }
///       // optional:
///       std::vector<sinkkit::InvalidConfig> invalid_configs(const sinkkit::TestTarget& t);
///       void arm_storage_fault(const nlohmann::json& config, sinkkit::PartitionId p, std::int64_t after_items);
///     };
///     static_assert(sinkkit::Harness<EventHarness>);
///     // then, in a test file: SINKKIT_CONFORMANCE_SUITE(EventHarness);  (runners/gtest.hpp)

#include <charconv>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/demangle.hpp>
#include <sinkkit/protocol/concepts.hpp>
#include <sinkkit/protocol/diagnostics.hpp>
#include <sinkkit/rules/sink_under_test.hpp>
#include <sinkkit/runners/child_process.hpp>
#include <sinkkit/simulation/simulator.hpp>
#include <sinkkit/simulation/storage_fault_injector.hpp>
#include <unistd.h>

namespace sinkkit {
inline namespace runners {

/// The required part of a harness.
template <class H>
concept Harness = requires { typename H::node_type; } && IntoSink<typename H::node_type> &&
                  requires(H& h, const TestTarget& target, const nlohmann::json& config, const ItemKey& key,
                           const payload_of<typename H::node_type>& item) {
                    { h.make_node() } -> std::same_as<typename H::node_type>;
                    { h.make_config(target) } -> std::convertible_to<nlohmann::json>;
                    { h.read_back(config) } -> std::convertible_to<std::vector<payload_of<typename H::node_type>>>;
                    { h.make_item(key) } -> std::convertible_to<payload_of<typename H::node_type>>;
                    { h.key_of(item) } -> std::convertible_to<ItemKey>;
                    { h.capabilities() } -> std::convertible_to<Capabilities>;
                  };

namespace requirement {

template <class H>
struct node_type_declared {
  static constexpr bool value = requires { typename H::node_type; };
};
template <class H>
struct make_node_returning_node_type {
  static constexpr bool value = requires(H& h) {
    { h.make_node() } -> std::same_as<typename H::node_type>;
  };
};
template <class H>
struct make_config_taking_TestTarget {
  static constexpr bool value = requires(H& h, const TestTarget& target) {
    { h.make_config(target) } -> std::convertible_to<nlohmann::json>;
  };
};
template <class H>
struct read_back_returning_vector_of_payload {
  static constexpr bool value = requires(H& h, const nlohmann::json& config) {
    { h.read_back(config) } -> std::convertible_to<std::vector<payload_of<typename H::node_type>>>;
  };
};
template <class H>
struct make_item_taking_ItemKey {
  static constexpr bool value = requires(H& h, const ItemKey& key) {
    { h.make_item(key) } -> std::convertible_to<payload_of<typename H::node_type>>;
  };
};
template <class H>
struct key_of_taking_payload {
  static constexpr bool value = requires(H& h, const payload_of<typename H::node_type>& item) {
    { h.key_of(item) } -> std::convertible_to<ItemKey>;
  };
};
template <class H>
struct capabilities_returning_Capabilities {
  static constexpr bool value = requires(H& h) {
    { h.capabilities() } -> std::convertible_to<Capabilities>;
  };
};
template <class H>
struct arm_storage_fault_taking_json_PartitionId_count {
  static constexpr bool value = requires(H& h, const nlohmann::json& config, PartitionId p, std::int64_t n) {
    h.arm_storage_fault(config, p, n);
  };
};
template <class H>
struct invalid_configs_taking_TestTarget {
  static constexpr bool value = requires(H& h, const TestTarget& target) {
    { h.invalid_configs(target) } -> std::convertible_to<std::vector<InvalidConfig>>;
  };
};

}  // namespace requirement

/// True when `H` is a `Harness` (its node a sink, see `check_sink`);
/// otherwise a compile error per requirement it misses, naming the member
/// and the signature expected. An optional member (`invalid_configs`,
/// `arm_storage_fault`) with another signature is an error too: it would
/// otherwise be ignored, and its rules skipped. `SINKKIT_CONFORMANCE_SUITE`
/// calls it.
template <class H>
consteval bool check_harness() {
  static_assert(requirement::node_type_declared<H>::value,
                "sinkkit: the harness has no `node_type` (add `using node_type = YourSink;`)");
  if constexpr (requirement::node_type_declared<H>::value) {
    if constexpr (check_sink<typename H::node_type>()) {
      static_assert(requirement::make_node_returning_node_type<H>::value,
                    "sinkkit: the harness has no `node_type make_node()` (it returns a new node, by value)");
      static_assert(requirement::make_config_taking_TestTarget<H>::value,
                    "sinkkit: the harness has no `nlohmann::json make_config(const sinkkit::TestTarget& target)`");
      static_assert(requirement::read_back_returning_vector_of_payload<H>::value,
                    "sinkkit: the harness has no `std::vector<payload_type> read_back(const nlohmann::json& config)` "
                    "(what the target stores, in stored order)");
      static_assert(requirement::make_item_taking_ItemKey<H>::value,
                    "sinkkit: the harness has no `payload_type make_item(const sinkkit::ItemKey& key)`");
      static_assert(requirement::key_of_taking_payload<H>::value,
                    "sinkkit: the harness has no `sinkkit::ItemKey key_of(const payload_type& item)`");
      static_assert(requirement::capabilities_returning_Capabilities<H>::value,
                    "sinkkit: the harness has no `sinkkit::Capabilities capabilities()`");
      if constexpr (requires { &H::arm_storage_fault; }) {
        static_assert(requirement::arm_storage_fault_taking_json_PartitionId_count<H>::value,
                      "sinkkit: the harness's `arm_storage_fault` does not take `(const nlohmann::json& config, "
                      "sinkkit::PartitionId partition, std::int64_t after_items)`: the storage-fault rules would "
                      "skip it");
      }
      if constexpr (requires { &H::invalid_configs; }) {
        static_assert(requirement::invalid_configs_taking_TestTarget<H>::value,
                      "sinkkit: the harness's `invalid_configs` is not `std::vector<sinkkit::InvalidConfig> "
                      "invalid_configs(const sinkkit::TestTarget& target)`: SK-1.2 would skip it");
      }
      if constexpr (requirement::make_node_returning_node_type<H>::value &&
                    requirement::make_config_taking_TestTarget<H>::value &&
                    requirement::read_back_returning_vector_of_payload<H>::value &&
                    requirement::make_item_taking_ItemKey<H>::value && requirement::key_of_taking_payload<H>::value &&
                    requirement::capabilities_returning_Capabilities<H>::value) {
        // Each requirement holds; so must the concept (never zero tests and no error).
        static_assert(Harness<H>, "sinkkit: the harness meets each requirement but not sinkkit::Harness");
      }
      return Harness<H>;
    }
  }
  return false;
}

/// Optional: configs that build must reject (rule SK-1.2).
template <class H>
concept HarnessWithInvalidConfigs = requires(H& h, const TestTarget& target) {
  { h.invalid_configs(target) } -> std::convertible_to<std::vector<InvalidConfig>>;
};

/// Optional: make the sink's storage fail once, after `after_items` more
/// items on partition `p` (rules SK-4.1, SK-4.2). Called right after p's build.
template <class H>
concept HarnessWithStorageFaults = requires(H& h, const nlohmann::json& config, PartitionId p, std::int64_t n) {
  h.arm_storage_fault(config, p, n);
};

}  // namespace runners

namespace detail {
/// This process's descriptors, threads and children, from /proc.
std::optional<ResourceUsage> current_process_usage();
/// Runs `run(before_write, after_write, after_close)` in a child process that
/// reports every write and close to the parent, and SIGKILLs it at `kill`
/// (the fatal write handed to the sink, `kill.into_write` of the run's mean
/// write time before the child asks for the kill; an answer that comes
/// first is never reported). Returns the calls the sink saw as a trace
/// (closes only when the run ended before the kill).
using WriteHook = std::function<void(const TraceEvent&)>;
using CrashRunBody = std::function<void(const WriteHook& before, const WriteHook& after, const WriteHook& closed)>;
CrashRun crash_run(const Workload& workload, KillPoint kill, const CrashRunBody& run);
/// The same, the kit's interposer journalling every change under `target`
/// in the child, then the power cut: the target rewritten to the crash state
/// `state` draws. Nullopt when the interposer is not in this program.
std::optional<PowerCut> power_cut_run(const std::filesystem::path& target, const Workload& workload,
                                      KillPoint cut, PowerCutState state, const CrashRunBody& run);
/// The kit's file-system fault injector in this process, scoped to files
/// under `root`; nullptr when the interposer (libsinkkit_faults) is not
/// loaded into this process (conformance programs link it).
std::unique_ptr<StorageFaultInjector> in_process_storage_faults(const std::filesystem::path& root);
bool in_process_storage_faults_loaded();
}  // namespace detail

inline namespace runners {

/// Serves a `Harness` to the rules.
template <Harness H>
class HarnessSink final : public SinkUnderTest {
 public:
  using node_type = typename H::node_type;
  using payload_type = payload_of<node_type>;

  explicit HarnessSink(H harness = H{}) : harness_(std::move(harness)) {}

  [[nodiscard]] std::string name() const override {
    auto node = harness_.make_node();
    return std::string(std::string_view(node.name));
  }
  /// The harness's declaration; with `arm_storage_fault`, `fault_injection`
  /// too (the reports say how storage faults reached the sink).
  [[nodiscard]] Capabilities capabilities() const override {
    Capabilities c = harness_.capabilities();
    if constexpr (HarnessWithStorageFaults<H>) c.fault_injection = true;
    return c;
  }
  [[nodiscard]] bool router_branch_safe() const override { return node_type::router_branch_safe; }
  [[nodiscard]] bool accepts_subtype_batches() const override {
    return std::is_class_v<payload_type> && !std::is_final_v<payload_type>;
  }
  [[nodiscard]] StorageFaultMechanism storage_fault_mechanism() const override {
    if constexpr (HarnessWithStorageFaults<H>) return StorageFaultMechanism::hook;
    return detail::in_process_storage_faults_loaded() ? StorageFaultMechanism::file_system
                                                      : StorageFaultMechanism::none;
  }

  nlohmann::json make_config(const TestTarget& target) override { return harness_.make_config(target); }

  std::optional<std::vector<InvalidConfig>> invalid_configs(const TestTarget& target) override {
    if constexpr (HarnessWithInvalidConfigs<H>) {
      return std::vector<InvalidConfig>(harness_.invalid_configs(target));
    } else {
      return std::nullopt;
    }
  }

  Trace run(const nlohmann::json& config, const RunRequest& request) override {
    if constexpr (!HarnessWithStorageFaults<H>) {
      if (!request.plan.storage_faults.empty()) {
        const auto injector = detail::in_process_storage_faults(request.target_root);
        RunRequest r = request;
        r.simulation.storage_fault_injector = injector.get();
        return simulate(config, r, {});
      }
    }
    return simulate(config, request, {});
  }

  ReadBack read_back(const nlohmann::json& config) override {
    ReadBack out;
    std::vector<payload_type> items;
    try {
      items = harness_.read_back(config);
    } catch (const std::exception& e) {
      // The sink's reader failing on its storage (a torn record it cannot
      // parse) is a finding about the sink.
      out.unreadable = detail::type_name(typeid(e)) + ": " + e.what();
      return out;
    }
    out.keys.reserve(items.size());
    for (const auto& item : items) {
      ItemKey key = harness_.key_of(item);
      if constexpr (std::equality_comparable<payload_type>) {
        // The payload projection must be what was written under this key
        // (poison and foreign keys are the oracle's to count).
        if (key != kPoisonKey && key.worker >= 0 && key.epoch >= 0 && key.seq >= 0 &&
            !(item == static_cast<payload_type>(harness_.make_item(key)))) {
          if (out.corrupted++ == 0) out.first_corruption = "the item stored under " + to_string(key) + " differs from the one written";
        }
      }
      out.keys.push_back(key);
    }
    return out;
  }

  /// This process: the sink runs in it, whatever the worker count.
  std::optional<ResourceUsage> resource_usage(int) override { return detail::current_process_usage(); }

  std::optional<CrashRun> run_and_kill(const nlohmann::json& config, const RunRequest& request,
                                       KillPoint kill) override {
    return detail::crash_run(request.workload, kill, crash_run_body(config, request));
  }

  /// In a child process of its own, as run_and_kill, this program's
  /// interposer journalling the target (conformance programs link it).
  std::optional<PowerCut> run_and_cut_power(const nlohmann::json& config, const TestTarget& target,
                                            const RunRequest& request, KillPoint cut,
                                            PowerCutState state) override {
    return detail::power_cut_run(target.dir, request.workload, cut, state,
                                 crash_run_body(config, request));
  }
  [[nodiscard]] bool power_can_be_cut() const override { return detail::in_process_storage_faults_loaded(); }

  [[nodiscard]] H& harness() noexcept { return harness_; }

 private:
  // The run of a crash or a power cut, in its child: the calls reported.
  detail::CrashRunBody crash_run_body(const nlohmann::json& config, const RunRequest& request) {
    return [this, &config, &request](const detail::WriteHook& before, const detail::WriteHook& after,
                                     const detail::WriteHook& closed) {
      RunRequest r = request;
      r.simulation.after_write = after;
      r.simulation.after_close = closed;
      std::unique_ptr<AsyncBridge> bridge;
      if (capabilities().requires_bridge) {
        bridge = std::make_unique<AsyncBridge>(1);
        r.simulation.bridge = bridge.get();
      }
      simulate(config, r, before);
    };
  }

  Trace simulate(const nlohmann::json& config, const RunRequest& request, detail::WriteHook before_write) {
    SimulatorOptions opts = request.simulation;
    opts.before_write = std::move(before_write);
    if constexpr (HarnessWithStorageFaults<H>) {
      opts.arm_storage_fault = [this, &config](PartitionId p, std::int64_t after_items) {
        harness_.arm_storage_fault(config, p, after_items);
      };
    }
    auto node = harness_.make_node();
    auto make_item = [this](const ItemKey& k) -> payload_type { return harness_.make_item(k); };
    return Simulator(node, config, make_item, std::move(opts)).run(request.workload, request.plan);
  }

  mutable H harness_;  // a harness's methods need not be const
};

}  // namespace runners
}  // namespace sinkkit
