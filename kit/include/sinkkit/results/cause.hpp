#pragma once
/// \file
/// `Cause`: one bug seen through every rule it made fail. A sink that keeps
/// pointers into a batch, or throws on an empty batch, fails many rules; the
/// causes say it is one bug, name the rule it breaks most specifically, and
/// list the others. Found by `find_causes` (rules/causes.hpp) from the rules'
/// shrunk counterexamples; kept in `SuiteResult::causes`, which every report
/// leads with. Each rule's own verdict stays as it was.
///
/// **Example**:
///
///     sinkkit::Cause c{.rule = "SK-2.8", .summary = "write_batch of an empty batch threw other: boom",
///                      .also = {"SK-2.2", "SK-2.3"}};
///     std::cout << c.to_text();  // "write_batch of an empty batch threw other: boom (SK-2.8); also fails SK-2.2, SK-2.3"
///     nlohmann::json j = c.to_json();

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sinkkit {
inline namespace results {

struct Cause {
  std::string rule;               ///< the rule it breaks most specifically
  std::string summary;            ///< what the sink did, numbers and keys as in that rule's counterexample
  std::vector<std::string> also;  ///< the other rules it made fail, in catalogue order
  /// What its rules' counterexamples share (the failed call, the oracle's
  /// finding, the crash), numbers masked: the same bug found in another run
  /// has the same key (a soak keeps each key once). Not in the JSON.
  std::string key;

  /// "SUMMARY (SK-2.8); also fails SK-2.2, SK-2.3".
  [[nodiscard]] std::string to_text() const;
  [[nodiscard]] nlohmann::json to_json() const;
  /// Throws `std::invalid_argument` naming what is malformed.
  static Cause from_json(const nlohmann::json& j);
};

/// "1 cause", "3 causes".
std::string causes_heading(std::size_t count);

}  // namespace results
}  // namespace sinkkit
