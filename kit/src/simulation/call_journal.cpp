#include "call_journal.hpp"

#include <atomic>

#include <sinkkit/detail/write_all.hpp>

namespace sinkkit::detail {

namespace {

std::atomic<int> journal_fd{-1};

// A line in one write: pipes keep writes up to PIPE_BUF whole, and a journal
// line longer than that is cut in its message, which nobody needs whole here.
constexpr std::size_t kMaxMessage = 512;

void write_line(char tag, nlohmann::json j) {
  const int fd = journal_fd.load(std::memory_order_relaxed);
  if (fd < 0) return;
  if (auto m = j.find("message"); m != j.end() && m->is_string() && m->get_ref<const std::string&>().size() > kMaxMessage) {
    *m = m->get<std::string>().substr(0, kMaxMessage) + "...";
  }
  std::string line(1, tag);
  line += ' ';
  line += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  write_all(fd, line);
}

}  // namespace

void journal_calls_to(int fd) { journal_fd.store(fd); }

void journal_run_begun(ExecutionMode mode, std::uint64_t seed, const Workload& workload, const FaultPlan& plan) {
  if (journal_fd.load(std::memory_order_relaxed) < 0) return;
  Trace header;
  header.mode = mode;
  header.seed = seed;
  header.workload = workload;
  header.plan = plan;
  write_line('R', header.to_json());
}

void journal_call_begun(const TraceEvent& e) {
  if (journal_fd.load(std::memory_order_relaxed) >= 0) write_line('B', trace_event_to_json(e));
}

void journal_call_ended(const TraceEvent& e) {
  if (journal_fd.load(std::memory_order_relaxed) >= 0) write_line('E', trace_event_to_json(e));
}

bool CallJournal::take(std::string_view line) {
  if (line.size() < 2 || line[1] != ' ' || (line[0] != 'R' && line[0] != 'B' && line[0] != 'E')) return false;
  try {
    const auto j = nlohmann::json::parse(line.substr(2));
    if (line[0] == 'R') {
      run_ = Trace::from_json(j);
      ended_.clear();
      in_flight_.clear();
    } else {
      auto e = trace_event_from_json(j);
      in_flight_.erase(e.index);
      if (line[0] == 'B') {
        in_flight_[e.index] = std::move(e);
      } else {
        ended_[e.index] = std::move(e);
      }
    }
    return true;
  } catch (const std::exception&) {
    return false;  // a torn line from a dying process: what came before stands
  }
}

Trace CallJournal::trace_so_far(const std::string& error_kind, const std::string& message) const {
  if (!run_) return Trace{};
  Trace t = *run_;
  t.events.clear();
  std::map<std::uint64_t, TraceEvent> all = ended_;
  for (auto [index, e] : in_flight_) {
    e.outcome = e.sink_outcome = Outcome::threw;
    e.error_kind = error_kind;
    e.message = message;
    all[index] = std::move(e);
  }
  for (auto& [index, e] : all) t.events.push_back(std::move(e));
  t.aborted = true;
  t.abort_reason = message;
  return t;
}

}  // namespace sinkkit::detail
