#include <sinkkit/rules/causes.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

#include <sinkkit/results/suite_result.hpp>
#include <sinkkit/rules/catalogue.hpp>

namespace sinkkit {

namespace detail {

std::string mask_numbers(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (text.compare(i, 2, "0x") == 0 && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += "0x#";
      for (i += 2; i < text.size() && std::isxdigit(static_cast<unsigned char>(text[i])); ++i) {
      }
    } else if (std::isdigit(c)) {
      out += '#';
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    } else {
      out += text[i++];
    }
  }
  return out;
}

}  // namespace detail

inline namespace rules {

namespace {

// The rules about loss, order and duplicates in general: a bug they find is
// usually also found by a rule about what caused it.
const std::set<std::string_view> kGeneralRules = {"SK-2.2", "SK-2.3", "SK-2.4", "SK-2.5"};
constexpr std::string_view kComparingRule = "SK-2.11";
constexpr std::string_view kBridgeRule = "SK-6.1";
const std::string kBridgeKey = "bridge|outlived close";
constexpr std::string_view kRetentionRule = "SK-2.7";
const std::string kPoisonKeyGroup = "poison|batch kept";

// What a broken rule's result says went wrong, for grouping and ranking.
struct Evidence {
  const RuleResult* result = nullptr;
  std::size_t position = 0;  // in the catalogue (unknown ids last)
  std::string key;           // equal keys: one cause
  std::string summary;
  std::optional<TraceEvent> fatal;  // the call the sink failed on its own
  std::set<std::string> findings;   // the oracle's violation kinds, when it is the oracle's finding
  bool repeated_close = false;      // the counterexample closes a partition more than once
  bool writes = false;              // the counterexample has a write_batch
  // One partition, no fault, every close returned: what it lost, its close did not keep.
  bool lone_clean_partition = false;
  // A write_batch returned normally though a storage call failed in it, not made good.
  bool acknowledged_a_storage_failure = false;
  std::size_t faults = 0;  // calls the kit failed, storage faults that fired, kills
  bool storage_failed = false;       // a storage fault fired
  bool wrote_on_after_storage_failed = false;  // and a write_batch reached the sink after it
  bool bridge_outlived_close = false;  // a close returned with bridge work still queued or running
  bool stored_poison = false;  // the read-back holds the kit's poison: a batch kept past its call

  std::size_t size = 0;             // calls in the counterexample (none: very many)
};

// The first call the sink itself failed.
std::optional<TraceEvent> fatal_call(const Trace& t) {
  for (const auto& e : t.events)
    if (e.sink_failed_on_its_own()) return e;
  return std::nullopt;
}

// A failed call as its kind and shape and its error class: equal for every
// run of one bug. A hang is the call hanging, whatever limit it hung past;
// other errors keep their message's first line (the rest is a sink
// process's stderr), numbers masked.
std::string signature_of(const TraceEvent& e) {
  std::string s = "call|" + std::string(to_string(e.kind)) + "|" +
                  (e.kind == CallKind::write_batch && e.size == 0 ? "empty" : "") + "|" +
                  (e.kind == CallKind::close && e.call > 0 ? "repeated" : "") + "|" + e.error_kind;
  if (e.error_kind == "hung") return s;
  return s + "|" + detail::mask_numbers(e.message.substr(0, e.message.find('\n')));
}

std::string describe_call(const TraceEvent& e) {
  std::string what = std::string(to_string(e.kind));
  if (e.kind == CallKind::write_batch) {
    what += e.size == 0 ? " of an empty batch" : " of " + std::to_string(e.size) + (e.size == 1 ? " item" : " items");
  } else if (e.kind == CallKind::close && e.call > 0) {
    what += " repeated (close #" + std::to_string(e.call + 1) + " of " + to_string(e.partition) + ")";
  } else {
    what += " of " + to_string(e.partition);
  }
  // An isolated case's child that died in the call (CheckOptions::isolate_cases).
  if (e.error_kind == "crashed" || e.error_kind == "hung") return what + " " + e.error_kind + " (" + e.message + ")";
  return what + " threw " + e.error_kind + (e.message.empty() ? "" : ": " + e.message);
}

Evidence evidence_of(const RuleResult& r) {
  Evidence ev;
  ev.result = &r;
  const Rule* rule = find_rule(r.id);
  ev.position = rule != nullptr ? static_cast<std::size_t>(rule - catalogue().data()) : catalogue().size();
  ev.size = r.counterexample ? r.counterexample->trace.events.size() : std::size_t(-1);
  constexpr std::string_view kCheckDied = "the check's process ";  // runners/suite.cpp's words
  if (r.message.starts_with(kCheckDied)) {
    // A crash or hang of the whole check: one cause per way it ended.
    const auto colon = r.message.find(':');
    ev.key = "crash|" + detail::mask_numbers(r.message.substr(0, colon));
    ev.summary = "the sink " + r.message.substr(kCheckDied.size(), colon == std::string::npos
                                                                      ? std::string::npos
                                                                      : colon - kCheckDied.size());
    return ev;
  }
  if (r.counterexample) {
    const auto& trace = r.counterexample->trace;
    ev.lone_clean_partition = trace.workload.partitions() == 1 && trace.plan.clean();
    for (const auto& e : trace.events) {
      ev.repeated_close |= e.kind == CallKind::close && e.call > 0;
      ev.writes |= e.kind == CallKind::write_batch;
      if (e.kind == CallKind::close && e.outcome != Outcome::ok) ev.lone_clean_partition = false;
      ev.acknowledged_a_storage_failure |= e.acknowledged() && e.storage_fault && !e.storage_fault->retried;
      if (e.injected || e.storage_fault || e.error_kind == "killed") ++ev.faults;
      ev.wrote_on_after_storage_failed |= ev.storage_failed && e.attempted();
      ev.storage_failed |= e.storage_fault.has_value();
      ev.bridge_outlived_close |= e.kind == CallKind::close && e.outcome == Outcome::ok && e.bridge_in_flight > 0;
    }
    if (auto e = fatal_call(r.counterexample->trace)) {
      ev.fatal = e;
      ev.key = signature_of(*e);
      ev.summary = describe_call(*e);
      return ev;
    }
    const auto& v = r.counterexample->verdict;
    if (v && !v->clean()) {
      for (const auto& x : v->violations) ev.findings.insert(std::string(to_string(x.kind)));
      auto poison = [](const std::vector<ItemKey>& keys) { return std::ranges::find(keys, kPoisonKey) != keys.end(); };
      ev.stored_poison = poison(v->first_unexpected);
      for (const auto& p : v->partitions) ev.stored_poison |= poison(p.first_unexpected);
    }
    // Items read back as the poison the kit writes over a batch after its
    // call: whatever else went missing or came out wrong, the sink kept
    // pointers into the batch (SK-2.7).
    if (ev.stored_poison) {
      ev.key = kPoisonKeyGroup;
      ev.summary = r.id == kRetentionRule ? r.message : "the read-back holds the kit's batch poison: " + r.message;
      return ev;
    }
    // Work a close left to the bridge is not stored when the run reads back:
    // the loss and SK-6.1's finding are one cause.
    if (ev.bridge_outlived_close && (r.id == kBridgeRule || ev.findings.contains("lost"))) {
      ev.key = kBridgeKey;
      ev.summary = r.id == kBridgeRule ? r.message : "a close returned with its work still on the bridge: " + r.message;
      return ev;
    }
    if (v && !v->clean()) {
      ev.key = "oracle|";
      // Stored records that are not what was written, or that the sink's own
      // reader cannot read: whatever else the oracle then counted, one cause.
      if (ev.findings.contains("corrupted")) {
        ev.key += "corrupted,";
      } else {
        for (const auto& k : ev.findings) ev.key += k + ",";
      }
      ev.summary = r.message;
      return ev;
    }
  }
  ev.key = "message|" + r.id + "|" + detail::mask_numbers(r.message);  // a finding only its rule makes
  ev.summary = r.message;
  return ev;
}

// The rule whose subject is the failing call, or the oracle's finding (the
// rule whose statement is about that kind of violation).
bool claims(const Evidence& ev) {
  const std::string& id = ev.result->id;
  if (!ev.fatal) {
    // A loss with a close's work still on the bridge: SK-6.1's subject.
    if (ev.key == kBridgeKey) return id == kBridgeRule;
    if (ev.key == kPoisonKeyGroup) return id == kRetentionRule;
    // A corrupt store: torn by a storage fault, SK-4.1's ("no record is
    // torn"); with none, SK-2.4's ("nothing unexpected").
    if (ev.findings.contains("corrupted")) return id == (ev.storage_failed ? "SK-4.1" : "SK-2.4");
    // Items stored by a run that wrote none: build wrote them (SK-1.4).
    if (id == "SK-1.4") return ev.findings.contains("unexpected") && !ev.writes;
    // Acknowledged items gone though the lone partition closed cleanly: its
    // close did not make them durable (SK-3.4); with more partitions, they
    // may have met in storage (SK-2.3).
    if (id == "SK-3.4") return ev.findings.contains("lost") && ev.lone_clean_partition;
    // Items lost after the storage failed and the run wrote on: SK-4.2's subject.
    if (id == "SK-4.2") return ev.findings.contains("lost") && ev.wrote_on_after_storage_failed;
    // Items lost after a write_batch acknowledged a failed storage call: SK-4.5's subject.
    if (id == "SK-4.5") return ev.findings.contains("lost") && ev.acknowledged_a_storage_failure;
    // Duplicates after a repeated close are the close's (SK-3.1), not delivery's.
    if (ev.findings.contains("duplicated") && ev.repeated_close) return id == "SK-3.1";
    // A resume's loss (SK-7.1) shows again on another worker count (SK-7.3);
    // its duplicates are SK-7.2's.
    if (id == "SK-7.1") return ev.findings.contains("lost");
    static const std::map<std::string_view, std::string_view> kAbout = {
        {"SK-2.2", "reordered"}, {"SK-2.3", "lost"},       {"SK-2.4", "unexpected"},
        {"SK-2.5", "duplicated"}, {"SK-7.2", "duplicated"}};
    const auto about = kAbout.find(id);
    return about != kAbout.end() && ev.findings.contains(std::string(about->second));
  }
  const auto& e = *ev.fatal;
  // A part that fails to resume from its snapshot: the resume's rule.
  if (e.kind == CallKind::build && e.message.starts_with("build_part of ") &&
      e.message.find("(resuming)") != std::string::npos) {
    return id == "SK-7.1";
  }
  if (id == "SK-1.1") return e.kind == CallKind::build;
  if (id == "SK-3.2") {
    return e.kind == CallKind::close && e.call == 0 &&
           ev.result->counterexample->trace.calls(CallKind::write_batch, e.partition).empty();
  }
  if (id == "SK-2.8") return e.kind == CallKind::write_batch && e.size == 0;
  if (id == "SK-3.1") return e.kind == CallKind::close && e.call > 0;
  return false;
}

// A rule whose counterexample lacks what its statement is about: SK-4.2's
// (writing on after a storage failure) with no write after the failure is
// SK-4.1's case.
bool off_its_subject(const Evidence& ev) {
  return ev.result->id == "SK-4.2" && ev.storage_failed && !ev.wrote_on_after_storage_failed;
}

// Higher ranks first: the rule a cause is named after. A counterexample with
// fewer faults shows the bug more simply (a sink that loses data at every
// restart loses it after a crash too: the restart's rule).
auto rank(const Evidence& ev) {
  return std::make_tuple(claims(ev), !off_its_subject(ev), !ev.result->incidental, !kGeneralRules.contains(ev.result->id),
                         std::size_t(-1) - ev.faults, std::size_t(-1) - ev.size, std::size_t(-1) - ev.position);
}

}  // namespace

std::optional<std::string> failure_signature(const Trace& trace) {
  if (auto e = fatal_call(trace)) return signature_of(*e);
  return std::nullopt;
}

std::vector<Cause> find_causes(const std::vector<RuleResult>& rules) {
  std::map<std::string, std::vector<Evidence>> groups;
  std::optional<Evidence> comparison;
  for (const auto& r : rules) {
    if (!r.broken()) continue;
    auto ev = evidence_of(r);
    // SK-2.11 compares two runs of the sink: a difference shows a bug, not
    // which. With other rules broken, it joins their first cause.
    if (r.id == kComparingRule) {
      comparison = std::move(ev);
      continue;
    }
    groups[ev.key].push_back(std::move(ev));
  }
  if (comparison) {
    if (groups.empty()) {
      groups[comparison->key].push_back(std::move(*comparison));
      comparison.reset();
    }
  }
  std::vector<std::pair<std::size_t, Cause>> found;
  for (auto& [key, members] : groups) {
    const auto primary = std::max_element(members.begin(), members.end(),
                                          [](const Evidence& a, const Evidence& b) { return rank(a) < rank(b); });
    const std::size_t position = primary->position;  // before the sort below moves the members
    Cause c{.rule = primary->result->id, .summary = primary->summary, .also = {}, .key = key};
    std::sort(members.begin(), members.end(),
              [](const Evidence& a, const Evidence& b) { return a.position < b.position; });
    for (const auto& m : members)
      if (m.result->id != c.rule) c.also.push_back(m.result->id);
    found.emplace_back(position, std::move(c));
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (comparison) {  // into the first cause, in catalogue order
    auto& also = found.front().second.also;
    also.insert(std::upper_bound(also.begin(), also.end(), comparison->result->id,
                                 [](const std::string& a, const std::string& b) { return rule_id_less(a, b); }),
                comparison->result->id);
  }
  std::vector<Cause> out;
  for (auto& [pos, c] : found) out.push_back(std::move(c));
  return out;
}

}  // namespace rules
}  // namespace sinkkit
