#pragma once
// Number formatting and table cells the benchmark gate's text, the Markdown
// writer and the HTML writer share, so a figure reads the same in all three.
// Private to reports/src.

#include <string>
#include <vector>

#include <sinkkit/reports/bench_gate.hpp>
#include <sinkkit/reports/bench_results.hpp>

namespace sinkkit::reports::bench_format {

/// `value` through printf's `spec` ("%.3g" by default).
std::string printf_number(double value, const char* spec = "%.3g");

/// "123 M" style, for throughputs: three digits and an SI prefix.
std::string with_si_prefix(double value);

/// A fraction as a signed percentage: 0.123 -> "+12.3%".
std::string signed_percent(double fraction);

/// The measured fields a result file has (throughputs, time, latency
/// percentiles), in the order the tables show them.
std::vector<std::string> measured_columns(const BenchResults& results);

/// One table cell: the entry's median of `field`, with its unit, or "-".
std::string measurement_cell(const BenchEntry& entry, const std::string& field);

/// A target's measured value against its goal: "0.93x (goal >= 0.90x)", or
/// "25 M (goal >= 20 M)" for an absolute target.
std::string target_measurement(const TargetCheck& check);

/// The grid a result file says it ran (the main job passes
/// `--benchmark_context=grid=quick|full`): "Grid: quick (...)", or "" when
/// it does not say.
std::string grid_note(const BenchResults& results);

/// "Host H, N CPUs, DATE" from the file's context, or "" when it names no
/// host. Takes the context as it comes: a field of another type is shown as
/// its JSON (a hand-edited file must not stop the report).
std::string host_note(const BenchResults& results);

}  // namespace sinkkit::reports::bench_format
