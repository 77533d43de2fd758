#pragma once
/// \file
/// `AnyPartition<E>`: one type for every partition of payload `E`, as the
/// runtime side holds them (the simulator, the wire server, the benchmarks).
///
/// **Example**:
///
///     MySink node;
///     sinkkit::AnyPartition<Event> p = sinkkit::build_any_partition(node, cfg, 0, 1);
///     p.write_batch(events);  // any std::vector<D> with D derived from Event
///     p.close();

#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <nlohmann/json_fwd.hpp>
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit/protocol/concepts.hpp>

namespace sinkkit {
inline namespace protocol {

/// Owns any partition handle whose partition satisfies `SinkPartition<P, E>`
/// and forwards `write_batch` and `close` to it. Move-only.
template <class E>
class AnyPartition {
 public:
  /// An empty holder; calling it throws `std::logic_error`.
  AnyPartition() = default;

  /// Takes ownership of `handle` (a partition, or a `std::unique_ptr` to one).
  template <class H>
    requires(!std::same_as<std::remove_cvref_t<H>, AnyPartition> &&
             PartitionHandle<std::remove_cvref_t<H>, E>)
  explicit AnyPartition(H&& handle)
      : impl_(std::make_unique<Model<std::remove_cvref_t<H>>>(std::forward<H>(handle))) {}

  AnyPartition(AnyPartition&&) noexcept = default;
  AnyPartition& operator=(AnyPartition&&) noexcept = default;

  /// Forwards one batch to the partition.
  void write_batch(Batch<E> batch) { checked().write_batch(batch); }
  /// Forwards a close to the partition (repeats included: judging them is the
  /// kit's job, not the holder's).
  void close() { checked().close(); }

  /// True when a partition is held.
  explicit operator bool() const noexcept { return impl_ != nullptr; }

 private:
  struct Interface {
    virtual ~Interface() = default;
    virtual void write_batch(Batch<E> batch) = 0;
    virtual void close() = 0;
  };
  template <class H>
  struct Model final : Interface {
    explicit Model(H h) : handle(std::move(h)) {}
    void write_batch(Batch<E> batch) override { partition_of(handle).write_batch(batch); }
    void close() override { partition_of(handle).close(); }
    H handle;
  };

  Interface& checked() const {
    if (!impl_) throw std::logic_error("AnyPartition: no partition held (default-constructed or moved from)");
    return *impl_;
  }

  std::unique_ptr<Interface> impl_;
};

/// Calls `node.build_partition(...)` and wraps the result.
template <IntoSink N>
AnyPartition<payload_of<N>> build_any_partition(N& node, const nlohmann::json& config, int worker_index,
                                                int worker_count, AsyncBridge* bridge = nullptr,
                                                void* session_manager = nullptr) {
  return AnyPartition<payload_of<N>>(
      node.build_partition(config, worker_index, worker_count, bridge, session_manager));
}

}  // namespace protocol
}  // namespace sinkkit
