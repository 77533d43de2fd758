// An allow-list file (`sinkkit run --allow-list`, `sinkkit report
// --allow-list`): read, then applied to a saved failing run (the reports'
// golden sample) as `report` applies it, and the run rendered.
#include <cstddef>
#include <cstdint>
#include <regex>
#include <stdexcept>
#include <string_view>

#include <sinkkit/reports/report.hpp>
#include <sinkkit/results/result_file.hpp>
#include <sinkkit/runners/allow_list.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using sinkkit::fuzz::expect;
  static const auto sample = sinkkit::read_result_file(sinkkit::fuzz::source_file("reports/tests/golden/sample.json"));
  sinkkit::AllowList list;
  try {
    list = sinkkit::AllowList::from_text(sinkkit::fuzz::text_of(data, size), "allow.json");
  } catch (const std::runtime_error& e) {
    expect(std::string_view(e.what()).starts_with("allow.json"), "an allow-list's error names its file");
    return 0;
  }
  static const std::regex date(R"(\d{4}-\d{2}-\d{2})");
  for (const auto& e : list.entries) {
    expect(!e.reason.empty(), "an entry without a reason was read");
    expect(e.expires.empty() || std::regex_match(e.expires, date), "an entry with an expiry that is not a date");
  }
  auto run = sample;
  sinkkit::apply_allow_list(run, list, "2026-12-01");
  for (const auto& r : run.rules) {
    expect(!r.allowed.has_value() || r.status == sample.rules[static_cast<std::size_t>(&r - run.rules.data())].status,
           "applying an allow-list changed a rule's status");
  }
  (void)sinkkit::reports::render({run}, sinkkit::reports::ReportFormat::markdown);
  (void)run.exit_code();
  return 0;
}
