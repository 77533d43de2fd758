#pragma once
/// \file
/// The whole public API of the kit, one layer umbrella at a time. This costs
/// the most compile time of any include: prefer a layer's `all.hpp` or a
/// single header.
///
/// **Example**:
///
///     #include <sinkkit/sinkkit.hpp>
///     for (const sinkkit::Rule& r : sinkkit::catalogue()) std::cout << r.id << " " << r.title << "\n";
///     sinkkit::HarnessSink<MyHarness> sut;                     // MyHarness: see runners/harness.hpp
///     sinkkit::SuiteResult result = sinkkit::run_suite(sut, {});  // every rule, default budget
///     return result.exit_code();

#include <sinkkit/judgement/all.hpp>
#include <sinkkit/protocol/all.hpp>
#include <sinkkit/results/all.hpp>
#include <sinkkit/rules/all.hpp>
#include <sinkkit/runners/all.hpp>
#include <sinkkit/simulation/all.hpp>
