#pragma once
/// \file
/// `Oracle`: judges what a sink's storage holds against what the trace says
/// was written, under the sink's declared capabilities. A pure function of
/// (trace, capabilities, read-back), linear in items.
///
/// **Example**:
///
///     sinkkit::Oracle oracle(caps);                    // what the sink declares it promises
///     std::vector<sinkkit::ItemKey> stored;            // the keys of what storage holds, in stored order
///     for (const Event& e : MySink::read_all(config))
///       if (auto key = sinkkit::parse_item_key(e.key)) stored.push_back(*key);
///     sinkkit::Verdict v = oracle.judge(trace, stored);
///     if (!v.clean()) std::cerr << v.to_text() << trace.to_text();
///
/// What must be durable: with `durability: on_return`, every acknowledged
/// item; with `on_close`, the acknowledged items of partitions on which a
/// close returned ok, and only when the read-back was taken after the closes.
/// Duplicates violate only `exactly_once`, order only `ordered_per_partition`;
/// lost, unexpected and gaps always violate.

#include <cstddef>
#include <span>

#include <sinkkit/judgement/verdict.hpp>
#include <sinkkit/protocol/capabilities.hpp>
#include <sinkkit/protocol/item_key.hpp>
#include <sinkkit/simulation/trace.hpp>

namespace sinkkit {
inline namespace judgement {

/// When the read-back was taken, relative to the run's closes.
enum class ReadBackMoment { after_close, before_close };

/// Options of a judgement.
struct JudgeOptions {
  ReadBackMoment moment = ReadBackMoment::after_close;
  /// How many offending items to name per category.
  std::size_t max_offenders = 5;
};

/// Judges runs for one sink's capabilities.
class Oracle {
 public:
  explicit Oracle(Capabilities capabilities, JudgeOptions options = {})
      : capabilities_(capabilities), options_(options) {}

  /// Judges `read_back` (the keys of what storage holds, in stored order)
  /// against `trace`.
  [[nodiscard]] Verdict judge(const Trace& trace, std::span<const ItemKey> read_back) const;

  [[nodiscard]] const Capabilities& capabilities() const noexcept { return capabilities_; }

 private:
  Capabilities capabilities_;
  JudgeOptions options_;
};

}  // namespace judgement
}  // namespace sinkkit
