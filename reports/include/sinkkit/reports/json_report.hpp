#pragma once
/// \file
/// The JSON report of a conformance run: `SuiteResult` as versioned JSON
/// (schema in docs/reports.md), written atomically and read back with errors
/// that name the file and the problem.
///
/// **Example**:
///
///     auto path = sinkkit::reports::write_json_report(result, "out/reports");  // out/reports/<sink>.json
///     sinkkit::SuiteResult again = sinkkit::reports::read_json_report(path);

#include <filesystem>
#include <string_view>

#include <sinkkit/results/suite_result.hpp>

namespace sinkkit::reports {

/// Writes `result` to `dir`/`name`.json (`name` defaults to the sink's name),
/// through a temporary file and a rename, so a reader never sees half a
/// report. Creates `dir`. Throws `std::runtime_error` naming the path.
std::filesystem::path write_json_report(const SuiteResult& result, const std::filesystem::path& dir,
                                        std::string_view name = {});

/// Reads a report written by `write_json_report` (or by the GoogleTest
/// runner's SINKKIT_REPORT_DIR). Throws `std::runtime_error` naming the file
/// and what is wrong with it.
SuiteResult read_json_report(const std::filesystem::path& file);

}  // namespace sinkkit::reports
