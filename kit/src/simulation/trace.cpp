#include <sinkkit/simulation/trace.hpp>

#include <stdexcept>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/json_integer.hpp>

#include "call_journal.hpp"

namespace sinkkit {
inline namespace simulation {

std::string_view to_string(ExecutionMode m) { return m == ExecutionMode::deterministic ? "deterministic" : "threaded"; }

std::string_view to_string(CallKind k) {
  switch (k) {
    case CallKind::build: return "build";
    case CallKind::write_batch: return "write_batch";
    case CallKind::close: return "close";
  }
  return "?";
}

namespace {

CallKind call_kind_from(const std::string& s) {
  if (s == "build") return CallKind::build;
  if (s == "write_batch") return CallKind::write_batch;
  if (s == "close") return CallKind::close;
  throw std::invalid_argument("trace: unknown call kind '" + s + "'");
}

Outcome outcome_from(const std::string& s) {
  if (s == "ok") return Outcome::ok;
  if (s == "threw") return Outcome::threw;
  throw std::invalid_argument("trace: unknown outcome '" + s + "'");
}

std::string_view to_string(Outcome o) { return o == Outcome::ok ? "ok" : "threw"; }

}  // namespace

std::string FiredStorageFault::to_text() const {
  if (hook) return "the storage fault armed through the sink's hook fired (injected)";
  if (network) {
    const std::string what = call == "stall"           ? " stalled, then was reset"
                             : call == "drop requests" ? " lost its requests, then was reset"
                             : call == "drop replies"  ? " lost its replies (the server saw the requests), then was reset"
                                                       : " was reset";
    return "the connection to " + path + what + " (injected)" +
           (retried ? "; the sink connected again and sent" : "");
  }
  if (error == 0) {
    return call + "(" + path + ") stored " + std::to_string(short_written) + " of " + std::to_string(short_asked) +
           " bytes (a short write, injected)";
  }
  std::string s;
  if (short_asked > 0) {
    s = "a short write (" + std::to_string(short_written) + " of " + std::to_string(short_asked) + " bytes), then ";
  }
  s += call + "(" + path + ") failed with " + errno_name(error) + " (injected)";
  if (retried) s += "; the sink retried it";
  return s;
}

std::string TraceEvent::to_text() const {
  std::string s = "#" + std::to_string(index) + " " + std::string(simulation::to_string(kind)) + " " +
                  simulation::to_string(partition);
  if (kind == CallKind::write_batch) {
    s += " e" + std::to_string(epoch) + " #" + std::to_string(call) + (after_close ? " (after close)" : "");
    if (size == 0) {
      s += " (empty)";
    } else {
      s += " [s" + std::to_string(first_seq) + ".." + "s" + std::to_string(first_seq + size - 1) + "] " +
           std::to_string(size) + (size == 1 ? " item" : " items");
    }
  } else if (kind == CallKind::close) {
    s += " #" + std::to_string(call);
  }
  s += ": ";
  if (outcome == Outcome::ok) {
    s += "ok";
  } else if (injected && !forwarded) {
    s += "FAILED (injected before the sink was called)";
  } else if (injected && sink_outcome == Outcome::ok) {
    s += "FAILED (injected after the sink returned ok)";
  } else {
    s += "THREW " + error_kind + ": " + message;
  }
  if (storage_fault) s += " [storage: " + storage_fault->to_text() + "]";
  return s;
}

std::string Trace::to_text(std::size_t max_events) const {
  std::string out = "run: " + std::string(to_string(mode)) + " seed=" + std::to_string(seed) + ", " +
                    workload.summary() + "; faults: " + plan.describe() + "; " +
                    (aborted ? "aborted (" + abort_reason + ")" : "completed") + "\n";
  const std::size_t n = events.size();
  const bool elide = max_events > 0 && n > max_events;
  const std::size_t head = elide ? max_events / 2 : n;
  const std::size_t tail_from = elide ? n - (max_events - head) : n;
  for (std::size_t i = 0; i < n; ++i) {
    if (i == head && elide) {
      out += "  ... " + std::to_string(tail_from - head) + " more calls ...\n";
      i = tail_from;
    }
    out += "  " + events[i].to_text() + "\n";
  }
  return out;
}

nlohmann::json Trace::to_json() const {
  nlohmann::json events_json = nlohmann::json::array();
  for (const auto& e : events) events_json.push_back(detail::trace_event_to_json(e));
  nlohmann::json j = {{"schema_version", kTraceSchemaVersion},
                      {"mode", to_string(mode)},
                      {"seed", seed},
                      {"workload", workload},
                      {"faults", plan},
                      {"aborted", aborted},
                      {"events", std::move(events_json)}};
  if (aborted) j["abort_reason"] = abort_reason;
  return j;
}

Trace Trace::from_json(const nlohmann::json& j) {
  try {
    if (detail::json_integer_at<int>(j, "schema_version") != kTraceSchemaVersion) {
      throw std::invalid_argument("trace: schema_version " + j.at("schema_version").dump() + ", this kit reads " +
                                  std::to_string(kTraceSchemaVersion));
    }
    Trace t;
    auto mode = j.at("mode").get<std::string>();
    if (mode != "deterministic" && mode != "threaded") throw std::invalid_argument("trace: unknown mode " + mode);
    t.mode = mode == "deterministic" ? ExecutionMode::deterministic : ExecutionMode::threaded;
    t.seed = detail::json_integer_at<std::uint64_t>(j, "seed");
    t.workload = j.at("workload").get<Workload>();
    t.plan = j.at("faults").get<FaultPlan>();
    t.aborted = j.at("aborted").get<bool>();
    t.abort_reason = j.value("abort_reason", "");
    for (const auto& ej : j.at("events")) t.events.push_back(detail::trace_event_from_json(ej));
    return t;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("trace: malformed JSON: ") + e.what());
  }
}

std::vector<const TraceEvent*> Trace::calls(CallKind kind, PartitionId partition) const {
  std::vector<const TraceEvent*> out;
  for (const auto& e : events) {
    if (e.kind == kind && e.partition == partition) out.push_back(&e);
  }
  return out;
}

std::int64_t Trace::attempted_items() const {
  std::int64_t n = 0;
  for (const auto& e : events)
    if (e.attempted()) n += e.size;
  return n;
}

std::int64_t Trace::acknowledged_items() const {
  std::int64_t n = 0;
  for (const auto& e : events)
    if (e.acknowledged()) n += e.size;
  return n;
}

}  // namespace simulation
}  // namespace sinkkit

namespace sinkkit::detail {

nlohmann::json trace_event_to_json(const TraceEvent& e) {
  nlohmann::json j = {{"index", e.index},
                      {"kind", to_string(e.kind)},
                      {"worker", e.partition.worker},
                      {"branch", e.partition.branch},
                      {"call", e.call},
                      {"outcome", to_string(e.outcome)},
                      {"start", e.start},
                      {"end", e.end}};
  if (e.kind == CallKind::write_batch) {
    j["epoch"] = e.epoch;
    j["first_seq"] = e.first_seq;
    j["size"] = e.size;
  }
  if (!e.forwarded) j["forwarded"] = false;
  if (e.injected) j["injected"] = true;
  if (e.after_close) j["after_close"] = true;
  if (e.sink_outcome != Outcome::ok) j["sink_outcome"] = to_string(e.sink_outcome);
  if (!e.error_kind.empty()) j["error_kind"] = e.error_kind;
  if (!e.message.empty()) j["message"] = e.message;
  if (e.sink_ns >= 0) j["sink_ns"] = e.sink_ns;
  if (e.bridge_in_flight > 0) j["bridge_in_flight"] = e.bridge_in_flight;
  if (const auto& f = e.storage_fault) {
    j["storage_fault"] = {{"call", f->call},         {"path", f->path},
                          {"error", f->error},       {"short_written", f->short_written},
                          {"short_asked", f->short_asked}, {"retried", f->retried}};
    if (f->network) j["storage_fault"]["network"] = true;
    if (f->hook) j["storage_fault"]["hook"] = true;
  }
  return j;
}

TraceEvent trace_event_from_json(const nlohmann::json& ej) {
  TraceEvent e;
  e.index = detail::json_integer_at<std::uint64_t>(ej, "index");
  e.kind = call_kind_from(ej.at("kind").get<std::string>());
  e.partition = {detail::json_integer_at<int>(ej, "worker"), detail::json_integer_at<int>(ej, "branch")};
  e.call = detail::json_integer_at<std::int32_t>(ej, "call");
  e.outcome = outcome_from(ej.at("outcome").get<std::string>());
  e.start = detail::json_integer_at<std::int64_t>(ej, "start");
  e.end = detail::json_integer_at<std::int64_t>(ej, "end");
  if (e.kind == CallKind::write_batch) {
    e.epoch = detail::json_integer_at<std::int64_t>(ej, "epoch");
    e.first_seq = detail::json_integer_at<std::int64_t>(ej, "first_seq");
    e.size = detail::json_integer_at<std::uint32_t>(ej, "size");
  }
  e.forwarded = ej.value("forwarded", true);
  e.injected = ej.value("injected", false);
  e.after_close = ej.value("after_close", false);
  e.sink_outcome = outcome_from(ej.value("sink_outcome", "ok"));
  e.error_kind = ej.value("error_kind", "");
  e.message = ej.value("message", "");
  e.sink_ns = detail::json_integer_or<std::int64_t>(ej, "sink_ns", -1);
  e.bridge_in_flight = detail::json_integer_or<std::int64_t>(ej, "bridge_in_flight", 0);
  if (ej.contains("storage_fault")) {
    const auto& f = ej.at("storage_fault");
    e.storage_fault = FiredStorageFault{f.at("call").get<std::string>(), f.at("path").get<std::string>(),
                                        detail::json_integer_at<int>(f, "error"), detail::json_integer_or<std::uint64_t>(f, "short_written", 0),
                                        detail::json_integer_or<std::uint64_t>(f, "short_asked", 0), f.value("retried", false),
                                        f.value("network", false), f.value("hook", false)};
  }
  return e;
}

}  // namespace sinkkit::detail
