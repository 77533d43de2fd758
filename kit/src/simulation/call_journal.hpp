#pragma once
// Private to the kit: the calls of a run, written as they begin and end to a
// file descriptor by a process that may die in the sink's code (a case run in
// a child of its own, `CheckOptions::isolate_cases`). Its parent reads the
// journal and knows the calls up to the one the child died in: a crash
// becomes a trace like any other failure, and can be shrunk.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <sinkkit/simulation/trace.hpp>

namespace sinkkit::detail {

// A trace event as `Trace::to_json` writes each of its events.
nlohmann::json trace_event_to_json(const TraceEvent& e);
TraceEvent trace_event_from_json(const nlohmann::json& j);

// Writing (the simulator): off unless a process turns it on; one line per
// write(2), so the lines of threaded workers do not interleave.
void journal_calls_to(int fd);  // -1: off
void journal_run_begun(ExecutionMode mode, std::uint64_t seed, const Workload& workload, const FaultPlan& plan);
void journal_call_begun(const TraceEvent& e);  // the sink is about to be called
void journal_call_ended(const TraceEvent& e);  // as the trace records it

// Reading (the process that waits for the child).
class CallJournal {
 public:
  // Takes one line (without its newline); false if it is not a journal line.
  bool take(std::string_view line);
  // A call has begun and not ended.
  [[nodiscard]] bool call_in_flight() const { return !in_flight_.empty(); }
  // The last run begun, as far as it went: its ended calls, then those in
  // flight, which are marked as failed with `error_kind` and `message`. No
  // run begun: an empty trace.
  [[nodiscard]] Trace trace_so_far(const std::string& error_kind, const std::string& message) const;

 private:
  std::optional<Trace> run_;
  std::map<std::uint64_t, TraceEvent> ended_, in_flight_;
};

}  // namespace sinkkit::detail
