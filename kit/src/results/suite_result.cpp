#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>
#include <stdexcept>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/json_integer.hpp>
#include <sinkkit/results/suite_result.hpp>

namespace sinkkit {
inline namespace results {

int SuiteResult::count(RuleStatus s) const {
  int n = 0;
  for (const auto& r : rules) n += r.status == s ? 1 : 0;
  return n;
}

const RuleResult* SuiteResult::find(std::string_view id) const noexcept {
  for (const auto& r : rules)
    if (r.id == id) return &r;
  return nullptr;
}

RuleResult* SuiteResult::find(std::string_view id) noexcept {
  return const_cast<RuleResult*>(std::as_const(*this).find(id));
}

int SuiteResult::allowed() const {
  int n = 0;
  for (const auto& r : rules) n += r.allowed ? 1 : 0;
  return n;
}

std::string SuiteResult::summary_line() const {
  int failed = 0, warnings = 0;
  for (const auto& r : rules) {
    if (r.allowed) continue;
    failed += r.status == RuleStatus::failed ? 1 : 0;
    warnings += r.status == RuleStatus::warning ? 1 : 0;
  }
  const int not_applicable = count(RuleStatus::not_applicable), untested = count(RuleStatus::untested);
  std::string s = std::to_string(count(RuleStatus::passed)) + " passed, " + std::to_string(failed) + " failed, " +
                  std::to_string(not_applicable + untested) + " skipped";
  // Labelled apart: not applicable is the sink's declaration, untested a gap in the test.
  if (not_applicable + untested > 0) {
    s += " (";
    if (not_applicable > 0) s += std::to_string(not_applicable) + " not applicable";
    if (not_applicable > 0 && untested > 0) s += ", ";
    if (untested > 0) s += std::to_string(untested) + " untested";
    s += ")";
  }
  if (warnings > 0) s += ", " + std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings");
  if (const int a = allowed(); a > 0) s += ", " + std::to_string(a) + " allowed";
  if (!interrupted.empty()) s += ", interrupted by " + interrupted;
  return s;
}

int SuiteResult::exit_code() const {
  if (!infrastructure_error.empty() || !interrupted.empty()) return 2;
  if (!gate_errors.empty()) return 1;
  for (const auto& r : rules)
    if (r.fails(strict)) return 1;
  return 0;
}

nlohmann::json SuiteResult::to_json() const {
  auto rules_json = nlohmann::json::array();
  for (const auto& r : rules) rules_json.push_back(r.to_json());
  nlohmann::json j = {{"schema_version", kResultSchemaVersion},
          {"sink", sink},
          {"subject", subject},
          {"capabilities", capabilities},
          {"kit_version", kit_version},
          {"seed", seed},
          {"budget", budget},
          {"max_workers", max_workers},
          {"strict", strict},
          {"seconds", seconds},
          {"host", host},
          {"started_at", started_at},
          {"summary", summary_line()},
          {"exit_code", exit_code()},
          {"gate_errors", gate_errors},
          {"gate_notes", gate_notes},
          {"rules", std::move(rules_json)}};
  if (!infrastructure_error.empty()) j["infrastructure_error"] = infrastructure_error;  // a run that never started
  if (!interrupted.empty()) j["interrupted"] = interrupted;  // a run that did not finish
  if (!shard.whole()) j["shard"] = to_string(shard);          // one part of a run (`--shard`)
  if (!causes.empty()) {
    auto& arr = j["causes"] = nlohmann::json::array();
    for (const auto& c : causes) arr.push_back(c.to_json());
  }
  return j;
}

SuiteResult SuiteResult::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("result: expected a JSON object");
  const int version = detail::json_integer_or<int>(j, "schema_version", 0);
  if (version != 1 && version != kResultSchemaVersion) {
    throw std::invalid_argument("result: schema_version " + j.value("schema_version", nlohmann::json()).dump() +
                                ", this kit reads 1 to " + std::to_string(kResultSchemaVersion));
  }
  SuiteResult r;
  r.sink = j.at("sink").get<std::string>();
  r.subject = j.value("subject", j.value("harness", ""));  // "harness" in schema 1
  r.capabilities = j.at("capabilities").get<Capabilities>();
  r.kit_version = j.value("kit_version", "");
  r.seed = detail::json_integer_or<std::uint64_t>(j, "seed", 0);
  r.budget = detail::json_integer_or<int>(j, "budget", 0);
  r.max_workers = detail::json_integer_or<int>(j, "max_workers", 0);
  r.strict = j.value("strict", false);
  r.seconds = j.value("seconds", 0.0);
  r.host = j.value("host", "");
  r.started_at = j.value("started_at", "");
  r.gate_errors = j.value("gate_errors", std::vector<std::string>{});
  r.gate_notes = j.value("gate_notes", std::vector<std::string>{});
  r.infrastructure_error = j.value("infrastructure_error", "");
  r.interrupted = j.value("interrupted", "");
  if (j.contains("shard")) {
    if (!j.at("shard").is_string()) throw std::invalid_argument("result: \"shard\" must be a string like \"2/3\"");
    r.shard = parse_shard(j.at("shard").get<std::string>());
  }
  for (const auto& rj : j.at("rules")) r.rules.push_back(RuleResult::from_json(rj));
  if (j.contains("causes")) {
    if (!j.at("causes").is_array()) throw std::invalid_argument("result: \"causes\" must be an array");
    for (const auto& cj : j.at("causes")) r.causes.push_back(Cause::from_json(cj));
  }
  return r;
}


namespace {
// "SK-<group>.<n>" -> (group, n); anything else -> nothing.
std::optional<std::pair<int, int>> id_numbers(std::string_view id) {
  if (!id.starts_with("SK-")) return std::nullopt;
  id.remove_prefix(3);
  const auto dot = id.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  int group = 0, n = 0;
  const auto g = std::from_chars(id.data(), id.data() + dot, group);
  const auto r = std::from_chars(id.data() + dot + 1, id.data() + id.size(), n);
  if (g.ec != std::errc{} || g.ptr != id.data() + dot || r.ec != std::errc{} || r.ptr != id.data() + id.size()) {
    return std::nullopt;
  }
  return std::pair{group, n};
}
}  // namespace

bool rule_id_less(std::string_view a, std::string_view b) noexcept {
  const auto na = id_numbers(a);
  const auto nb = id_numbers(b);
  if (na && nb) return *na < *nb;
  if (na || nb) return na.has_value();  // catalogue ids first
  return a < b;
}

SuiteResult merge_results(SuiteResult fresh, const SuiteResult& saved) {
  // A rule an interrupted process did not run never replaces a verdict.
  for (const auto& r : saved.rules) {
    RuleResult* same = fresh.find(r.id);
    if (same == nullptr) {
      fresh.rules.push_back(r);
    } else if (is_not_run(*same) && !is_not_run(r)) {
      *same = r;
    }
  }
  for (const auto& e : saved.gate_errors)
    if (std::find(fresh.gate_errors.begin(), fresh.gate_errors.end(), e) == fresh.gate_errors.end()) {
      fresh.gate_errors.push_back(e);
    }
  // Interrupted while some rule is still not run: a later run of those
  // rules into the same report clears it, and its gate errors.
  if (fresh.interrupted.empty()) fresh.interrupted = saved.interrupted;
  if (std::none_of(fresh.rules.begin(), fresh.rules.end(), is_not_run)) {
    fresh.interrupted.clear();
    std::erase_if(fresh.gate_errors, [](const std::string& e) { return e.starts_with(kInterruptedPrefix); });
  }
  fresh.seconds += saved.seconds;
  std::stable_sort(fresh.rules.begin(), fresh.rules.end(),
                   [](const RuleResult& a, const RuleResult& b) { return rule_id_less(a.id, b.id); });
  return fresh;
}

}  // namespace results
}  // namespace sinkkit
