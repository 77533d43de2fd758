#pragma once
/// \file
/// The two-level sink protocol as concepts: `SinkPartition` (what runs per
/// worker) and `IntoSink` (the terminal node that builds partitions). Both are
/// structural, like loom's originals: no base class, no registration.
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
///     static_assert(sinkkit::IntoSink<PrintSink>);

#include <concepts>
#include <memory>
#include <string_view>
#include <type_traits>

#include <nlohmann/json_fwd.hpp>
#include <sinkkit/protocol/batch.hpp>

namespace sinkkit {
inline namespace protocol {

class AsyncBridge;

/// `P` consumes batches of `E`: `p.write_batch(Batch<E>)` once per delivered
/// batch, then `p.close()` (idempotent; may come with no write before it, or
/// after a failed one). Contravariant: a partition for `Base` is a
/// `SinkPartition<P, Derived>` too, since `Batch<Derived>` converts to
/// `Batch<Base>`.
template <class P, class E>
concept SinkPartition = std::is_object_v<E> && requires(P& p, const Batch<E>& batch) {
  p.write_batch(batch);
  p.close();
};

}  // namespace protocol

namespace detail {
template <class H>
struct PartitionHandleTraits {
  using partition_type = H;
  static H& get(H& h) noexcept { return h; }
};
template <class T, class D>
struct PartitionHandleTraits<std::unique_ptr<T, D>> {
  using partition_type = T;
  static T& get(std::unique_ptr<T, D>& h) noexcept { return *h; }
};
}  // namespace detail

inline namespace protocol {

/// What `build_partition` may return: a partition by value, or a
/// `std::unique_ptr` to one. Move construction is all the runtime needs (it
/// never reassigns a partition), so move-only types without assignment do.
template <class H, class E>
concept PartitionHandle =
    std::move_constructible<H> && std::destructible<H> && SinkPartition<typename detail::PartitionHandleTraits<H>::partition_type, E>;

/// The partition a handle holds (the handle itself, or what its pointer owns).
template <class H>
decltype(auto) partition_of(H& handle) noexcept {
  return detail::PartitionHandleTraits<H>::get(handle);
}

/// A terminal node: it names its payload type, has a `name`, says whether
/// several partitions of it may live on one worker (`router_branch_safe`, a
/// compile-time constant), and builds one partition per worker from the
/// resolved `streaming.sinks.<name>` config. `bridge` is null unless the
/// runtime provides one; `session_manager` belongs to the adapter and must not
/// be disposed by the sink.
template <class N>
concept IntoSink =
    std::is_object_v<typename N::payload_type> &&
    requires { typename std::bool_constant<N::router_branch_safe>; } &&
    requires(N& node, const nlohmann::json& config, int worker_index, int worker_count,
             AsyncBridge* bridge, void* session_manager) {
      { node.name } -> std::convertible_to<std::string_view>;
      { node.build_partition(config, worker_index, worker_count, bridge, session_manager) }
          -> PartitionHandle<typename N::payload_type>;
    };

/// The payload type of a node.
template <IntoSink N>
using payload_of = typename N::payload_type;

/// What a node's `build_partition` returns (a partition or a pointer to one).
template <IntoSink N>
using partition_handle_of = decltype(std::declval<N&>().build_partition(
    std::declval<const nlohmann::json&>(), 0, 0, nullptr, nullptr));

}  // namespace protocol
}  // namespace sinkkit
