#pragma once
/// \file
/// The whole public API of the kit, one layer umbrella at a time. This costs
/// the most compile time of any include: prefer a layer's `all.hpp` or a
/// single header.
///
/// **Example**:
///
///     #include <sinkkit/sinkkit.hpp>
///     sinkkit::Simulator sim(workload, plan);

#include <sinkkit/judgement/all.hpp>
#include <sinkkit/protocol/all.hpp>
#include <sinkkit/rules/all.hpp>
#include <sinkkit/runners/all.hpp>
#include <sinkkit/simulation/all.hpp>
