#pragma once
/// \file
/// A plain-text summary of one or more conformance runs: a table of every
/// rule's status per sink, then the details of each failure and warning, then
/// one verdict line per sink. What a person reads first at the end of a run.
///
/// **Example**:
///
///     sinkkit::SuiteResult memory = result, jsonl = result;  // two runs of the suite
///     std::cout << sinkkit::reports::render_summary({memory, jsonl});
///     // rule     level       memory   jsonl_file
///     // SK-1.1   MUST        passed   passed
///     // ...

#include <string>
#include <vector>

#include <sinkkit/results/suite_result.hpp>

namespace sinkkit::reports {

std::string render_summary(const std::vector<SuiteResult>& runs);

/// 0 when every run exits 0, else 1 (each run's own strictness applies).
int combined_exit_code(const std::vector<SuiteResult>& runs);

}  // namespace sinkkit::reports
