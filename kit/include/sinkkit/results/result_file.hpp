#pragma once
/// \file
/// The one JSON serialiser of a suite's result and the one atomic file
/// writer: the `sinkkit` command, the GoogleTest runner (each rule process
/// merging into one report) and the report writers all write through these,
/// so a reader never sees a half-written file and every JSON report has the
/// same shape.
///
/// **Example**:
///
///     sinkkit::SuiteResult run{.sink = "ledger"};
///     sinkkit::write_result_file("out/ledger.json", run);
///     sinkkit::SuiteResult back = sinkkit::read_result_file("out/ledger.json");
///     sinkkit::write_file_atomically("out/notes.txt", "done\n");

#include <filesystem>
#include <string>
#include <string_view>

#include <sinkkit/results/suite_result.hpp>

namespace sinkkit {
inline namespace results {

/// `result`'s JSON text (indented, invalid UTF-8 from a sink replaced, a
/// final newline).
[[nodiscard]] std::string result_json_text(const SuiteResult& result);

/// Writes `text` to `path` through a temporary file in the same folder and a
/// rename, creating the folder if needed. Throws `std::runtime_error` naming
/// the path and the reason.
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

/// `write_file_atomically(path, result_json_text(result))`.
void write_result_file(const std::filesystem::path& path, const SuiteResult& result);

/// Reads a result written by `write_result_file`. Throws
/// `std::invalid_argument` naming the file and what is wrong with it.
[[nodiscard]] SuiteResult read_result_file(const std::filesystem::path& path);

/// The same for a result's text; `source` (a file name) begins each error.
[[nodiscard]] SuiteResult read_result_text(std::string_view text, std::string_view source);

}  // namespace results
}  // namespace sinkkit
