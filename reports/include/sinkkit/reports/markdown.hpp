#pragma once
/// \file
/// The Markdown report: sized for a CI job summary (GitHub's
/// $GITHUB_STEP_SUMMARY, GitLab's and others' Markdown views). Per run a
/// verdict line, the run's metadata, a table of rules and verdicts, then the
/// details of each failure and warning: message, the oracle's counts, the
/// shrunk counterexample, the sink's output and the reproduce command.
///
/// **Example**:
///
///     std::ofstream(std::getenv("GITHUB_STEP_SUMMARY"), std::ios::app)
///         << sinkkit::reports::render_markdown({result});

#include <string>
#include <vector>

#include <sinkkit/results/suite_result.hpp>

namespace sinkkit::reports {

/// All runs in one document; with more than one, an overview table (rules by
/// run) comes first.
std::string render_markdown(const std::vector<SuiteResult>& runs);

}  // namespace sinkkit::reports
