#pragma once
// One simulated run of a test node, in a line: the kit's tests of the
// simulator and of the trace drive nodes this way.

#include <cstdint>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/simulation/simulator.hpp>
#include <sinkkit_test/events.hpp>

namespace sinkkit_test {

inline auto make_item = [](const sinkkit::ItemKey& k) { return event_for(k); };

/// Runs `w` under `plan` on `node` (config `{}`), items from `event_for`.
template <class Node>
sinkkit::Trace run(Node& node, const sinkkit::Workload& w, const sinkkit::FaultPlan& plan = {},
                   sinkkit::SimulatorOptions opts = {}) {
  sinkkit::Simulator sim(node, nlohmann::json::object(), make_item, std::move(opts));
  return sim.run(w, plan);
}

/// A workload whose every (worker, branch, epoch) cell has the batches `per_cell`.
inline sinkkit::Workload grid(int workers, int branches, int epochs, const std::vector<std::uint32_t>& per_cell) {
  sinkkit::Workload w = sinkkit::Workload::empty(workers, branches, epochs);
  for (auto& cell : w.cells) cell = per_cell;
  return w;
}

}  // namespace sinkkit_test
