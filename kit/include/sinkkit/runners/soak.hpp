#pragma once
/// \file
/// Soaks: a rule checked again and again, round r at seed `seed + r`, until a
/// length of time is up. `sinkkit soak --duration 2h` soaks the catalogue
/// (kit/cli/soak_command.cpp keeps every distinct cause); a conformance
/// program soaks each rule's test with `SINKKIT_SOAK=2h` (`soak_rule`).
///
/// **Example**:
///
///     auto length = sinkkit::parse_duration("1h30m");  // 5400 s; throws std::invalid_argument on "90x"
///     sinkkit::HarnessSink<MyHarness> sut;
///     sinkkit::SuiteOptions options{.check = {.seed = 7}};
///     sinkkit::RuleResult r = sinkkit::soak_rule(sinkkit::rule("SK-2.3"), sut, options, std::chrono::seconds(30));
///     std::cout << r.message << "\n";  // "soaked: 12 rounds in 0m30s, seeds 7 to 18, 1200 cases"

#include <chrono>
#include <string>
#include <string_view>

#include <sinkkit/results/rule_result.hpp>
#include <sinkkit/rules/rule.hpp>
#include <sinkkit/rules/sink_under_test.hpp>
#include <sinkkit/runners/suite.hpp>

namespace sinkkit {
inline namespace runners {

/// "90s", "30m", "2h", "1d", "1h30m" or whole seconds ("45"), 1 s to 30 days;
/// throws `std::invalid_argument` saying what is wrong with `text`.
std::chrono::seconds parse_duration(std::string_view text);

/// "1h02m03s", "4m05s": a length as the soak's progress prints it.
std::string duration_text(std::chrono::steady_clock::duration d);

/// Checks `rule` (as `run_rule`) in rounds, round r at seed
/// `options.check.seed + r`, until `length` is up, a round breaks the rule
/// (or finds it not applicable or untested: another round would too) or a
/// signal comes. The first broken round's result (shrunk, its seed in
/// its replay line), else the last round's, with the cases of every round
/// summed and the rounds said in its message.
RuleResult soak_rule(const Rule& rule, SinkUnderTest& sut, const SuiteOptions& options, std::chrono::seconds length);

}  // namespace runners
}  // namespace sinkkit
