// A saved conformance result handed to `sinkkit report`: read (the file
// readers' text), its causes found again when it has none, as `report`
// does, and rendered in every format. What reads back must write the same
// JSON when read again.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include <sinkkit/reports/report.hpp>
#include <sinkkit/reports/summary.hpp>
#include <sinkkit/results/result_file.hpp>
#include <sinkkit/rules/causes.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using sinkkit::fuzz::expect;
  sinkkit::SuiteResult run;
  try {
    run = sinkkit::read_result_text(sinkkit::fuzz::text_of(data, size), "fuzz.json");
  } catch (const std::invalid_argument& e) {
    expect(std::string_view(e.what()).starts_with("fuzz.json: "), "a result reader's error names its file");
    return 0;
  }
  if (run.causes.empty()) run.causes = sinkkit::find_causes(run.rules);
  const auto saved = sinkkit::result_json_text(run);
  const auto again = sinkkit::read_result_text(saved, "saved.json");
  expect(sinkkit::result_json_text(again) == saved, "a result read back does not write the same JSON again");
  for (const auto format : sinkkit::reports::all_formats()) (void)sinkkit::reports::render({run}, format);
  // Several saved runs make one report (the JSON report holds one run).
  for (const auto format : {sinkkit::reports::ReportFormat::markdown, sinkkit::reports::ReportFormat::html,
                            sinkkit::reports::ReportFormat::junit, sinkkit::reports::ReportFormat::text}) {
    (void)sinkkit::reports::render({run, again}, format);
  }
  (void)sinkkit::reports::render_summary({run});
  (void)run.exit_code();
  return 0;
}
