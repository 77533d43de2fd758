#pragma once
/// \file
/// The JUnit XML report, in the shape Jenkins, GitLab, GitHub test-report
/// actions, Azure DevOps and CircleCI read: one `<testsuite>` per run, one
/// `<testcase>` per rule. A failure (or, in strict mode, a warning) is a
/// `<failure>` with the message and the details; untested, not applicable
/// and allowed rules are `<skipped>` with the reason; a non-strict warning
/// passes and says so in `<system-out>`. An expired allow-list entry is a
/// failing testcase of its own. Validated against reports/schema/junit.xsd.
///
/// **Example**:
///
///     std::ofstream("conformance.junit.xml") << sinkkit::reports::render_junit({result});

#include <string>
#include <vector>

#include <sinkkit/results/suite_result.hpp>

namespace sinkkit::reports {

std::string render_junit(const std::vector<SuiteResult>& runs);

}  // namespace sinkkit::reports
