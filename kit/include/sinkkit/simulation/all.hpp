#pragma once
/// \file
/// Every header of the simulation layer. It pulls in RapidCheck (through the
/// generators) and <thread>/<barrier>: prefer the one header you use.
///
/// **Example**:
///
///     #include <sinkkit/simulation/all.hpp>
///     MySink node;
///     auto make_item = [](const sinkkit::ItemKey& k) { return Event{sinkkit::to_string(k), k.seq}; };
///     sinkkit::Trace t = sinkkit::Simulator(node, cfg, make_item).run(sinkkit::make_workload({}, 1));

#include <sinkkit/simulation/fault_plan.hpp>
#include <sinkkit/simulation/generators.hpp>
#include <sinkkit/simulation/session_manager.hpp>
#include <sinkkit/simulation/simulator.hpp>
#include <sinkkit/simulation/simulator_options.hpp>
#include <sinkkit/simulation/storage_fault_injector.hpp>
#include <sinkkit/simulation/trace.hpp>
#include <sinkkit/simulation/workload.hpp>
