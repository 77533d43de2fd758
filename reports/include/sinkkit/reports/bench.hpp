#pragma once
/// \file
/// Kept so that existing includes compile: the benchmark results, gate and
/// writers in one include. New code includes the one it needs.
///
/// **Example**:
///
///     #include <sinkkit/reports/bench.hpp>  // read_bench_results, compare_bench, render_bench_html...

#include <sinkkit/reports/bench_gate.hpp>     // IWYU pragma: export
#include <sinkkit/reports/bench_results.hpp>  // IWYU pragma: export
#include <sinkkit/reports/bench_writers.hpp>  // IWYU pragma: export
