#pragma once
/// \file
/// Errors that name the mistake. A type that misses one requirement of
/// `IntoSink` or `SinkPartition` gets, from the concepts alone, a page of
/// "constraints not satisfied" that blames whatever used it. `check_sink<N>()`
/// checks the requirements one at a time, each with a `static_assert` whose
/// message says which member is missing or has the wrong signature, and the
/// expected one; the compiler's next line names the types
/// (`sinkkit::requirement::write_batch_taking_Batch_of<Trade>::met_by<ledger::Partition>`).
/// `SINKKIT_CONFORMANCE_SUITE` calls it (through `check_harness`); call it
/// yourself beside your sink. docs/conformance.md lists the messages.
///
/// **Example**:
///
///     struct PrintPartition {
///       void write_batch(sinkkit::Batch<Event> items) { for (auto& e : items) std::puts(e.key.c_str()); }
///       void close() {}
///     };
///     struct PrintSink {
///       using payload_type = Event;
///       std::string name = "print";
///       static constexpr bool router_branch_safe = true;
///       PrintPartition build_partition(const nlohmann::json&, int, int, sinkkit::AsyncBridge*, void*) { return {}; }
///     };
///     static_assert(sinkkit::check_sink<PrintSink>());

#include <concepts>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nlohmann/json_fwd.hpp>
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit/protocol/concepts.hpp>

namespace sinkkit {

/// One struct per requirement, so that the compiler's note under a failed
/// check reads as the requirement and the type that does not meet it.
namespace requirement {

template <class N>
struct payload_type_declared {
  static constexpr bool value = requires { typename N::payload_type; };
};
template <class N>
struct payload_type_is_an_object_type {
  static constexpr bool value = std::is_object_v<typename N::payload_type>;
};
template <class N>
struct name_convertible_to_string_view {
  static constexpr bool value = requires(N& node) {
    { node.name } -> std::convertible_to<std::string_view>;
  };
};
template <class N>
struct router_branch_safe_is_a_constant_bool {
  static constexpr bool value = requires { typename std::bool_constant<N::router_branch_safe>; };
};
// Called as IntoSink calls it: lvalues of the parameter types.
template <class N>
struct build_partition_taking_json_int_int_bridge_session {
  static constexpr bool value = requires(N& node, const nlohmann::json& config, int worker_index, int worker_count,
                                         AsyncBridge* bridge, void* sessions) {
    node.build_partition(config, worker_index, worker_count, bridge, sessions);
  };
};
template <class Handle>
struct build_partition_result_is_movable {
  static constexpr bool value = std::move_constructible<Handle> && std::destructible<Handle>;
};
template <class E>
struct write_batch_taking_Batch_of {
  template <class P>
  struct met_by {
    static constexpr bool value = requires(P& p, const Batch<E>& batch) { p.write_batch(batch); };
  };
};
template <class P>
struct close_taking_nothing {
  static constexpr bool value = requires(P& p) { p.close(); };
};

}  // namespace requirement

/// True when `P` is a `SinkPartition` of `E`; otherwise a compile error per
/// requirement `P` misses, naming it.
template <class P, class E>
consteval bool check_partition() {
  static_assert(requirement::write_batch_taking_Batch_of<E>::template met_by<P>::value,
                "sinkkit: the partition has no `write_batch(sinkkit::Batch<E>)` for its node's payload_type E "
                "(a partition takes each batch as `void write_batch(sinkkit::Batch<E> items)`; "
                "a `const std::vector<E>&` parameter is not a Batch)");
  static_assert(requirement::close_taking_nothing<P>::value,
                "sinkkit: the partition has no `close()` (add `void close()`: idempotent, "
                "and called even when write_batch never ran)");
  if constexpr (requirement::write_batch_taking_Batch_of<E>::template met_by<P>::value &&
                requirement::close_taking_nothing<P>::value) {
    // Each requirement holds; the concept as a whole must too (a check
    // here that misses a case must not let a type through unnamed).
    static_assert(SinkPartition<P, E>, "sinkkit: the partition meets each requirement but not sinkkit::SinkPartition");
  }
  return SinkPartition<P, E>;
}

/// True when `N` is an `IntoSink`; otherwise a compile error per
/// requirement `N` (or the partition it builds) misses, naming it.
template <class N>
consteval bool check_sink() {
  static_assert(requirement::payload_type_declared<N>::value,
                "sinkkit: the node has no `payload_type` (add `using payload_type = YourEvent;`)");
  if constexpr (requirement::payload_type_declared<N>::value) {
    static_assert(requirement::payload_type_is_an_object_type<N>::value,
                  "sinkkit: the node's `payload_type` is not an object type (a reference, a function or void)");
  }
  static_assert(requirement::name_convertible_to_string_view<N>::value,
                "sinkkit: the node has no `name` convertible to std::string_view "
                "(add `std::string name = \"my_sink\";`)");
  static_assert(requirement::router_branch_safe_is_a_constant_bool<N>::value,
                "sinkkit: the node has no compile-time `router_branch_safe` "
                "(add `static constexpr bool router_branch_safe = true;`, or false)");
  static_assert(requirement::build_partition_taking_json_int_int_bridge_session<N>::value,
                "sinkkit: the node has no `build_partition(const nlohmann::json& config, int worker_index, "
                "int worker_count, sinkkit::AsyncBridge* bridge, void* session_manager)`, or it does not "
                "take these arguments");
  if constexpr (requirement::build_partition_taking_json_int_int_bridge_session<N>::value &&
                requirement::payload_type_declared<N>::value) {
    using Handle = decltype(std::declval<N&>().build_partition(
        std::declval<const nlohmann::json&>(), std::declval<int&>(), std::declval<int&>(),
        std::declval<AsyncBridge*&>(), std::declval<void*&>()));
    static_assert(requirement::build_partition_result_is_movable<Handle>::value,
                  "sinkkit: build_partition returns a type that cannot be moved "
                  "(return the partition by value, or a std::unique_ptr to it)");
    if constexpr (requirement::build_partition_result_is_movable<Handle>::value &&
                  requirement::payload_type_is_an_object_type<N>::value) {
      if constexpr (check_partition<typename detail::PartitionHandleTraits<Handle>::partition_type,
                                    typename N::payload_type>() &&
                    requirement::name_convertible_to_string_view<N>::value &&
                    requirement::router_branch_safe_is_a_constant_bool<N>::value) {
        static_assert(IntoSink<N>, "sinkkit: the node meets each requirement but not sinkkit::IntoSink");
      }
    }
  }
  return IntoSink<N>;
}

}  // namespace sinkkit
