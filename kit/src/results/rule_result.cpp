#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/json_integer.hpp>
#include <sinkkit/results/rule_result.hpp>

namespace sinkkit {
inline namespace results {

namespace {
constexpr std::array<std::pair<RuleStatus, std::string_view>, 5> kStatusNames = {{
    {RuleStatus::passed, "passed"},
    {RuleStatus::failed, "failed"},
    {RuleStatus::warning, "warning"},
    {RuleStatus::untested, "untested"},
    {RuleStatus::not_applicable, "not_applicable"},
}};

constexpr std::array<std::pair<RuleLevel, std::string_view>, 3> kLevelNames = {{
    {RuleLevel::must, "MUST"},
    {RuleLevel::should, "SHOULD"},
    {RuleLevel::capability, "CAPABILITY"},
}};

// An enum's name in `names`, and back.
template <class E, std::size_t N>
std::string_view name_in(const std::array<std::pair<E, std::string_view>, N>& names, E value) noexcept {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return "?";
}

template <class E, std::size_t N>
std::optional<E> value_in(const std::array<std::pair<E, std::string_view>, N>& names, std::string_view text) {
  for (const auto& [v, name] : names)
    if (name == text) return v;
  return std::nullopt;
}

// Each line of `text`, indented.
std::string indented(const std::string& text, const std::string& indent) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    out += indent + text.substr(pos, nl - pos) + "\n";
    pos = nl + 1;
  }
  return out;
}

// The last `lines` lines of `output`: what the sink said last explains the failure.
std::string tail(const std::string& output, int lines, bool& trimmed) {
  std::size_t cut = output.size();
  for (int n = 0; n <= lines && cut > 0; ++n) {
    const auto nl = output.rfind('\n', cut - 1);
    cut = nl == std::string::npos ? 0 : nl;
  }
  trimmed = cut > 0;
  return output.substr(trimmed ? cut + 1 : 0);
}
}  // namespace

std::string_view to_string(RuleLevel level) noexcept { return name_in(kLevelNames, level); }

RuleLevel rule_level_from(std::string_view text) {
  if (auto level = value_in(kLevelNames, text)) return *level;
  throw std::invalid_argument("unknown rule level '" + std::string(text) + "' (MUST, SHOULD or CAPABILITY)");
}

std::string_view to_string(RuleStatus s) noexcept { return name_in(kStatusNames, s); }

RuleStatus rule_status_from(std::string_view text) {
  if (auto status = value_in(kStatusNames, text)) return *status;
  throw std::invalid_argument("unknown rule status '" + std::string(text) +
                              "' (passed, failed, warning, untested or not_applicable)");
}

std::string Counterexample::to_text(std::size_t max_events) const {
  // Beside a failure, "verdict: clean" would read as a pass: the oracle's
  // clean finding says where the failure is not.
  if (verdict && verdict->clean()) {
    return trace.to_text(max_events) +
           "read-back: the oracle found no lost, duplicated, unexpected or reordered item (the failure is in the "
           "calls above)\n";
  }
  return trace.to_text(max_events) + (verdict ? verdict->to_text() : std::string());
}

nlohmann::json Counterexample::to_json() const {
  nlohmann::json j = {{"trace", trace.to_json()}};
  if (verdict) j["verdict"] = verdict->to_json();
  return j;
}

Counterexample Counterexample::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("trace")) {
    throw std::invalid_argument("counterexample: expected an object with a \"trace\"");
  }
  Counterexample c{.trace = Trace::from_json(j.at("trace")), .verdict = std::nullopt};
  if (j.contains("verdict")) c.verdict = Verdict::from_json(j.at("verdict"));
  return c;
}

std::string RuleResult::to_text() const {
  std::string out = id + " " + std::string(to_string(level)) + " " + std::string(to_string(status));
  if (!title.empty()) out += ": " + title;
  if (!statement.empty()) out += "\n  " + statement;
  out += "\n";
  if (!message.empty()) out += "  " + message + "\n";
  if (allowed) {
    out += "  allowed by the allow-list: " + *allowed + (allowed_until.empty() ? "" : " (until " + allowed_until + ")") + "\n";
  }
  if (broken()) {
    out += "  after " + std::to_string(cases) + " cases (seed " + std::to_string(seed) + ")\n";
    if (counterexample) out += "  counterexample (shrunk):\n" + indented(counterexample->to_text(), "    ");
    if (!output.empty()) {
      bool trimmed = false;
      const std::string last = tail(output, 30, trimmed);
      out += std::string("  sink output") + (trimmed ? " (last lines; the JSON report has it all)" : "") + ":\n" +
             last + (output.back() == '\n' ? "" : "\n");
    }
    if (!reproduce.empty()) out += "  reproduce: " + reproduce + "\n";
  }
  return out;
}

std::string DuplicateFigure::to_text(int of_cases) const {
  std::string s = std::to_string(items) + (items == 1 ? " duplicate" : " duplicates") + " in " +
                  std::to_string(cases) + " of " + std::to_string(of_cases) + (of_cases == 1 ? " case" : " cases");
  for (std::size_t i = 0; i < after.size(); ++i) s += (i == 0 ? ", after " : i + 1 == after.size() ? " and " : ", ") + after[i];
  return s;
}

nlohmann::json RuleResult::to_json() const {
  nlohmann::json j = {{"id", id},         {"title", title},     {"statement", statement},
                      {"level", to_string(level)}, {"status", to_string(status)}, {"cases", cases},
                      {"message", message},        {"seed", seed},                {"seconds", seconds}};
  if (const Counts* c = counts()) j["counts"] = *c;  // also inside the verdict; here for readers of the summary
  if (counterexample) j["counterexample"] = counterexample->to_json();
  if (incidental) j["incidental"] = true;
  if (duplicates) {
    j["duplicates"] = {{"items", duplicates->items}, {"cases", duplicates->cases}, {"after", duplicates->after}};
  }
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
  r.title = j.value("title", "");
  r.statement = j.value("statement", "");
  r.level = rule_level_from(j.at("level").get<std::string>());
  r.status = rule_status_from(j.at("status").get<std::string>());
  r.cases = detail::json_integer_at<int>(j, "cases");
  r.message = j.value("message", "");
  r.seed = detail::json_integer_or<std::uint64_t>(j, "seed", 0);
  r.seconds = j.value("seconds", 0.0);
  if (j.contains("counterexample") && j.at("counterexample").is_object()) {
    r.counterexample = Counterexample::from_json(j.at("counterexample"));
  } else if (j.contains("counterexample_trace")) {
    // Schema 1: the trace beside a text rendering; the verdict was text only.
    r.counterexample = Counterexample{.trace = Trace::from_json(j.at("counterexample_trace")), .verdict = std::nullopt};
  }
  r.incidental = j.value("incidental", false);
  if (j.contains("duplicates")) {
    const auto& d = j.at("duplicates");
    r.duplicates = DuplicateFigure{.items = detail::json_integer_at<std::int64_t>(d, "items"),
                                   .cases = detail::json_integer_at<int>(d, "cases"),
                                   .after = d.at("after").get<std::vector<std::string>>()};
  }
  r.reproduce = j.value("reproduce", "");
  r.output = j.value("output", "");
  if (j.contains("allowed")) r.allowed = j.at("allowed").get<std::string>();
  r.allowed_until = j.value("allowed_until", "");
  return r;
}

}  // namespace results
}  // namespace sinkkit
