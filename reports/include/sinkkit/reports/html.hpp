#pragma once
/// \file
/// The HTML report: one self-contained file (styles and the small filter
/// script inline, no asset or script fetched from anywhere; a
/// Content-Security-Policy forbids it). Per run: the verdict, metadata, the
/// rule table with filters by status, and for each failure its message,
/// counts, the shrunk counterexample's trace drawn as a timeline of workers
/// and epochs (inline SVG), the sink's output and the reproduce command.
/// Everything that came from a sink or a user is escaped.
///
/// Filters can be preset from the address: `report.html#status=failed,warning`.
///
/// **Example**:
///
///     std::ofstream("report.html") << sinkkit::reports::render_html({result});
///     std::string svg = sinkkit::reports::render_timeline_svg(trace);  // just the picture

#include <string>
#include <vector>

#include <sinkkit/results/suite_result.hpp>

namespace sinkkit::reports {

std::string render_html(const std::vector<SuiteResult>& runs);

/// The trace as an `<svg class="timeline">`: a lane per partition (worker and
/// branch), a column per epoch between a build column and a close column,
/// one box per call coloured by how it ended (ok, sink threw, fault injected,
/// written after close, not forwarded), each with its trace line as tooltip.
/// An aborted run ends in a red line.
std::string render_timeline_svg(const Trace& trace);

}  // namespace sinkkit::reports
