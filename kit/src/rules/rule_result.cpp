#include <array>
#include <stdexcept>
#include <string>
#include <utility>

#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/rules/check.hpp>

namespace sinkkit {
inline namespace rules {

namespace {
constexpr std::array<std::pair<RuleStatus, std::string_view>, 5> kStatusNames = {{
    {RuleStatus::passed, "passed"},
    {RuleStatus::failed, "failed"},
    {RuleStatus::warning, "warning"},
    {RuleStatus::untested, "untested"},
    {RuleStatus::not_applicable, "not_applicable"},
}};

RuleLevel level_from(std::string_view text) {
  for (auto level : {RuleLevel::must, RuleLevel::should, RuleLevel::capability})
    if (to_string(level) == text) return level;
  throw std::invalid_argument("unknown rule level '" + std::string(text) + "' (MUST, SHOULD or CAPABILITY)");
}
}  // namespace

std::string_view to_string(RuleStatus s) noexcept {
  for (const auto& [status, name] : kStatusNames)
    if (status == s) return name;
  return "?";
}

RuleStatus rule_status_from(std::string_view text) {
  for (const auto& [status, name] : kStatusNames)
    if (name == text) return status;
  throw std::invalid_argument("unknown rule status '" + std::string(text) +
                              "' (passed, failed, warning, untested or not_applicable)");
}

std::string RuleResult::to_text() const {
  std::string out = id + " " + std::string(to_string(level)) + " " + std::string(to_string(status));
  if (const Rule* r = find_rule(id)) out += ": " + std::string(r->title) + "\n  " + std::string(r->statement);
  out += "\n";
  if (!message.empty()) out += "  " + message + "\n";
  if (allowed) {
    out += "  allowed by the allow-list: " + *allowed + (allowed_until.empty() ? "" : " (until " + allowed_until + ")") + "\n";
  }
  if (broken()) {
    out += "  after " + std::to_string(cases) + " cases (seed " + std::to_string(seed) + ")\n";
    if (!counterexample.empty()) {
      out += "  counterexample (shrunk):\n";
      std::size_t pos = 0;
      while (pos < counterexample.size()) {
        auto nl = counterexample.find('\n', pos);
        if (nl == std::string::npos) nl = counterexample.size();
        out += "    " + counterexample.substr(pos, nl - pos) + "\n";
        pos = nl + 1;
      }
    }
    if (!output.empty()) {
      // The tail: what the sink said last is what explains the failure.
      constexpr int kLines = 30;
      std::size_t cut = output.size();
      for (int n = 0; n <= kLines && cut > 0; ++n) cut = output.rfind('\n', cut - 1) == std::string::npos ? 0 : output.rfind('\n', cut - 1);
      const bool trimmed = cut > 0;
      out += std::string("  sink output") + (trimmed ? " (last lines; the JSON report has it all)" : "") + ":\n" +
             output.substr(trimmed ? cut + 1 : 0) + (output.back() == '\n' ? "" : "\n");
    }
    if (!reproduce.empty()) out += "  reproduce: " + reproduce + "\n";
  }
  return out;
}

nlohmann::json RuleResult::to_json() const {
  nlohmann::json j = {{"id", id},       {"level", to_string(level)}, {"status", to_string(status)},
                      {"cases", cases}, {"message", message},        {"seed", seed},
                      {"seconds", seconds}};
  if (counts) j["counts"] = *counts;
  if (!counterexample.empty()) j["counterexample"] = counterexample;
  if (counterexample_trace) j["counterexample_trace"] = *counterexample_trace;
  if (!reproduce.empty()) j["reproduce"] = reproduce;
  if (!output.empty()) j["output"] = output;
  if (allowed) {
    j["allowed"] = *allowed;
    if (!allowed_until.empty()) j["allowed_until"] = allowed_until;
  }
  return j;
}

RuleResult RuleResult::from_json(const nlohmann::json& j) {
  RuleResult r;
  r.id = j.at("id").get<std::string>();
  r.level = level_from(j.at("level").get<std::string>());
  r.status = rule_status_from(j.at("status").get<std::string>());
  r.cases = j.at("cases").get<int>();
  r.message = j.value("message", "");
  r.seed = j.value("seed", std::uint64_t{0});
  r.seconds = j.value("seconds", 0.0);
  if (j.contains("counts")) r.counts = j.at("counts").get<Counts>();
  r.counterexample = j.value("counterexample", "");
  if (j.contains("counterexample_trace")) r.counterexample_trace = j.at("counterexample_trace");
  r.reproduce = j.value("reproduce", "");
  r.output = j.value("output", "");
  if (j.contains("allowed")) r.allowed = j.at("allowed").get<std::string>();
  r.allowed_until = j.value("allowed_until", "");
  return r;
}

}  // namespace rules
}  // namespace sinkkit
