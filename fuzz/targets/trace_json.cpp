// A trace as the kit reads one back: from a saved result's counterexample
// (Trace::from_json) and from the call journal a case's child process writes
// line by line as it dies ("R", "B", "E" lines, the last maybe torn). The
// input is tried both ways. A trace read back must be written and read again
// to the same JSON, and render as text and as the reports' SVG timeline.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <sinkkit/reports/html.hpp>
#include <sinkkit/simulation/trace.hpp>

#include "fuzz_support.hpp"
#include "simulation/call_journal.hpp"

namespace {

using sinkkit::Trace;
using sinkkit::fuzz::expect;

void check_readable(const Trace& trace) {
  const auto json = trace.to_json();
  const auto again = Trace::from_json(nlohmann::json::parse(json.dump()));
  expect(again.to_json() == json, "a trace read back does not write the same JSON again");
  (void)trace.to_text(8);
  (void)trace.to_text();
  (void)sinkkit::reports::render_timeline_svg(trace);
  (void)trace.attempted_items();
  (void)trace.acknowledged_items();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = sinkkit::fuzz::text_of(data, size);
  // A saved trace: readers reject what is not one with an exception (the
  // result readers name the file around it).
  std::optional<Trace> trace;
  try {
    trace = Trace::from_json(nlohmann::json::parse(text));
  } catch (const std::exception&) {
  }
  if (trace) check_readable(*trace);

  // The same bytes as a journal: every line is taken or refused, never thrown.
  sinkkit::detail::CallJournal journal;
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    (void)journal.take(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  check_readable(journal.trace_so_far("crashed", "killed by signal 9 (SIGKILL)"));
  return 0;
}
