#pragma once
/// \file
/// Every report format behind one call: pick formats by name, render saved
/// results, write them next to each other. What `sinkkit report` and
/// `sinkkit run --report DIR` use.
///
/// | format  | file              | for                                      |
/// |---------|-------------------|------------------------------------------|
/// | `json`  | `NAME.json`       | machines; the versioned result (docs/reports.md) |
/// | `md`    | `NAME.md`         | a CI job summary                         |
/// | `html`  | `NAME.html`       | people: filters, timelines of failures   |
/// | `junit` | `NAME.junit.xml`  | CI test-report views                     |
/// | `text`  | `NAME.txt`        | a terminal: rules by run, then failures  |
///
/// **Example**:
///
///     using namespace sinkkit::reports;
///     auto written = write_reports({result}, "out/reports", all_formats(), "my_sink");
///     std::string md = render({result}, ReportFormat::markdown);

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <sinkkit/results/result_file.hpp>
#include <sinkkit/results/suite_result.hpp>

namespace sinkkit::reports {

enum class ReportFormat { json, markdown, html, junit, text };

/// "json", "md", "html", "junit", "text".
std::string_view to_string(ReportFormat f) noexcept;
/// The inverse of `to_string` ("markdown" and "xml" accepted too); throws
/// `std::invalid_argument` naming the text and the choices.
ReportFormat report_format_from(std::string_view name);
/// Parses "md,html,junit" (or "all"); throws as `report_format_from`.
std::vector<ReportFormat> report_formats_from(std::string_view comma_separated);
/// json, md, html, junit, text.
std::vector<ReportFormat> all_formats();
/// ".json", ".md", ".html", ".junit.xml", ".txt".
std::string_view file_extension(ReportFormat f) noexcept;

/// Renders the runs in one format. JSON holds one run: more throws
/// `std::invalid_argument` (write each run's JSON on its own).
std::string render(const std::vector<SuiteResult>& runs, ReportFormat format);

/// The one atomic writer (results/result_file.hpp), which every report goes
/// through.
using sinkkit::write_file_atomically;

/// Writes `dir`/`name``extension` for each format and returns the paths.
/// With several runs, JSON is written per run as `name`-`label`.json.
std::vector<std::filesystem::path> write_reports(const std::vector<SuiteResult>& runs, const std::filesystem::path& dir,
                                                 const std::vector<ReportFormat>& formats, std::string_view name);

/// A file-name-safe form of a run's label ("python3 my sink.py" -> "python3_my_sink.py").
std::string file_stem(std::string_view label);

}  // namespace sinkkit::reports
