#include <sinkkit/results/shard.hpp>
#include <sinkkit/results/suite_result.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <stdexcept>

namespace sinkkit {
inline namespace results {

namespace {

int shard_number(std::string_view part, std::string_view text) {
  int n = 0;
  const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
  if (part.empty() || ec != std::errc{} || end != part.data() + part.size()) {
    throw std::invalid_argument("shard '" + std::string(text) + "': expected I/N, two whole numbers (e.g. 2/3)");
  }
  return n;
}

}  // namespace

Shard parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    throw std::invalid_argument("shard '" + std::string(text) + "': expected I/N (e.g. 2/3: the second of three)");
  }
  const Shard s{.index = shard_number(text.substr(0, slash), text), .count = shard_number(text.substr(slash + 1), text)};
  if (s.count < 1 || s.count > 10000) {
    throw std::invalid_argument("shard '" + std::string(text) + "': N must be 1 to 10000");
  }
  if (s.index < 1 || s.index > s.count) {
    throw std::invalid_argument("shard '" + std::string(text) + "': I must be 1 to " + std::to_string(s.count) +
                                " (shards count from 1; a Kubernetes JOB_COMPLETION_INDEX from 0: add 1)");
  }
  return s;
}

std::string to_string(const Shard& s) { return std::to_string(s.index) + "/" + std::to_string(s.count); }

SuiteResult merge_shards(const std::vector<SuiteResult>& parts, const std::vector<std::string>& names) {
  if (parts.empty()) throw std::invalid_argument("nothing to merge");
  const auto name = [&](std::size_t i) { return i < names.size() ? names[i] : "result " + std::to_string(i + 1); };
  SuiteResult merged = parts.front();
  merged.rules.clear();
  merged.causes.clear();
  merged.gate_errors.clear();
  merged.gate_notes.clear();
  merged.shard = Shard{};
  merged.seconds = 0;
  std::map<std::string, std::size_t> rule_from;  // rule id -> the part it came from
  std::map<int, std::size_t> shard_from;         // shard index -> part
  int shard_count = 0;
  bool differ = false;  // seeds or budgets: not one run's cases
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    if (p.sink != merged.sink || p.subject != merged.subject) {
      throw std::invalid_argument(name(i) + " is a run of '" + p.label() + "', " + name(0) + " of '" + merged.label() +
                                  "': only shards of one run merge");
    }
    if (!p.shard.whole()) {
      if (shard_count != 0 && p.shard.count != shard_count) {
        throw std::invalid_argument(name(i) + " is shard " + to_string(p.shard) + ", another part was of " +
                                    std::to_string(shard_count) + " shards");
      }
      shard_count = p.shard.count;
      if (const auto [at, fresh] = shard_from.emplace(p.shard.index, i); !fresh) {
        throw std::invalid_argument("shard " + to_string(p.shard) + " is given twice: " + name(at->second) + " and " +
                                    name(i));
      }
    }
    for (const auto& r : p.rules) {
      if (const auto [at, fresh] = rule_from.emplace(r.id, i); !fresh) {
        throw std::invalid_argument("rule " + r.id + " is in both " + name(at->second) + " and " + name(i) +
                                    ": only parts of one run (disjoint rules) merge");
      }
      merged.rules.push_back(r);
    }
    for (const auto& list : {&p.gate_errors, &p.gate_notes}) {
      auto& into = list == &p.gate_errors ? merged.gate_errors : merged.gate_notes;
      for (const auto& e : *list)
        if (std::find(into.begin(), into.end(), e) == into.end()) into.push_back(e);
    }
    merged.seconds += p.seconds;
    merged.strict = merged.strict || p.strict;
    if (merged.infrastructure_error.empty() && !p.infrastructure_error.empty()) {
      merged.infrastructure_error = name(i) + ": " + p.infrastructure_error;
    }
    if (merged.interrupted.empty()) merged.interrupted = p.interrupted;
    if (p.seed != parts.front().seed || p.budget != parts.front().budget) differ = true;
    merged.started_at = std::min(merged.started_at, p.started_at);
  }
  if (shard_count != 0) {
    std::string missing, from;
    for (int k = 1; k <= shard_count; ++k) {
      if (const auto at = shard_from.find(k); at == shard_from.end()) {
        missing += (missing.empty() ? "" : ", ") + std::to_string(k) + "/" + std::to_string(shard_count);
      } else {
        from += (from.empty() ? "" : ", ") + std::to_string(k) + "/" + std::to_string(shard_count) + " (" +
                name(at->second) + ")";
      }
    }
    if (!missing.empty()) {
      merged.gate_errors.push_back("shard " + missing + " missing from the merge: the run is incomplete");
    }
    merged.gate_notes.push_back("merged from shards " + from);
  }
  if (differ) {
    // Still one report of disjoint rules, but not what one run checks.
    std::string each;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      each += (i == 0 ? "" : ", ") + name(i) + ": seed " + std::to_string(parts[i].seed) + ", budget " +
              std::to_string(parts[i].budget);
    }
    merged.seed = 0;
    merged.gate_notes.push_back("the parts ran at different seeds or budgets (" + each +
                                "): not one run's cases; each rule's replay line has its own seed");
  }
  std::stable_sort(merged.rules.begin(), merged.rules.end(),
                   [](const RuleResult& a, const RuleResult& b) { return rule_id_less(a.id, b.id); });
  return merged;
}

}  // namespace results
}  // namespace sinkkit
