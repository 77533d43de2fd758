#pragma once
// What `run` and `replay` share past their options: run the suite on the
// sink process, print the failures, write the reports and gate the result.

#include <string>
#include <vector>

#include "options.hpp"

namespace sinkkit::cli {

// Where and how a run is reported and gated.
struct Reporting {
  std::string dir;
  std::string formats = "all";
  std::string allow_list;
};

// Runs `rules` (all when empty) and returns the exit code: the suite's
// verdict, or kExitUsage when the allow-list, the report formats, the sink or
// the report directory cannot be used.
int run_and_report(Common& c, const std::vector<std::string>& rules, const Reporting& reporting);

}  // namespace sinkkit::cli
