#pragma once
// A power cut's end, shared by the in-process harness and the wire runner:
// the target rewritten to the drawn crash state, and on request to others of
// the same cut (PowerCut::recut), from journals kept while it may be asked.

#include <filesystem>
#include <functional>
#include <vector>

#include <sinkkit/rules/sink_under_test.hpp>
#include <sinkkit/simulation/trace.hpp>

#include "../faults/power_loss.hpp"

namespace sinkkit::detail {

/// Rewrites `target` to `state`'s crash state from `before` and `journals`,
/// with `writes` (the run's calls) aborted by the cut's account ("power cut
/// during a write (strict): 1 unsynced write of part-w0.jsonl dropped"), and
/// a `recut` for other states, each begun by `power_off` (the sink's
/// processes killed, if it has any); the journals are removed when the last
/// PowerCut of this cut goes.
PowerCut end_power_cut(const std::filesystem::path& target, faults::TreeSnapshot before,
                       std::vector<std::filesystem::path> journals, PowerCutState state, bool mid_run, Trace writes,
                       std::function<void()> power_off);

}  // namespace sinkkit::detail
