#include <sinkkit/runners/allow_list.hpp>

#include <ctime>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/file_text.hpp>
#include <sinkkit/detail/utc.hpp>
#include <sinkkit/rules/catalogue.hpp>

namespace sinkkit {
inline namespace runners {

namespace {

// "YYYY-MM-DD" with a plausible month and day; string order is date order.
bool is_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  const int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

bool matches(const AllowEntry& e, const SuiteResult& run) {
  return e.sink.empty() || e.sink == run.label() || e.sink == run.sink;
}

// How the gate's lines about entries end: `clear_allow_list_marks` finds them so.
constexpr std::string_view kExpiredEnd = ": fix the rule or renew the entry";
constexpr std::string_view kUnusedEnd = " matched no failure in this run: remove it if the rule is fixed";

std::string describe(const AllowEntry& e) {
  return "allow-list entry " + e.rule + (e.sink.empty() ? "" : " for '" + e.sink + "'") + " (\"" + e.reason + "\")";
}

}  // namespace

AllowList AllowList::parse(const nlohmann::json& j, std::string_view source) {
  const std::string where(source);
  if (!j.is_object() || !j.contains("allow") || !j.at("allow").is_array()) {
    throw std::invalid_argument(where + ": expected an object with an \"allow\" array of entries");
  }
  AllowList list;
  std::size_t index = 0;
  for (const auto& item : j.at("allow")) {
    const std::string at = where + ": entry " + std::to_string(index++);
    if (!item.is_object()) throw std::invalid_argument(at + ": expected an object, got " + item.dump());
    for (const auto& [key, value] : item.items()) {
      if (key != "rule" && key != "sink" && key != "reason" && key != "expires") {
        throw std::invalid_argument(at + ": unknown key \"" + key + "\" (rule, sink, reason, expires)");
      }
      if (!value.is_string()) throw std::invalid_argument(at + ": \"" + key + "\" must be a string");
    }
    AllowEntry e;
    e.rule = item.value("rule", "");
    e.sink = item.value("sink", "");
    e.reason = item.value("reason", "");
    e.expires = item.value("expires", "");
    if (e.rule.empty()) throw std::invalid_argument(at + ": \"rule\" is required");
    if (find_rule(e.rule) == nullptr) throw std::invalid_argument(at + ": unknown rule id '" + e.rule + "' (see `sinkkit rules`)");
    if (e.reason.empty()) throw std::invalid_argument(at + " (" + e.rule + "): \"reason\" is required: say why the failure is accepted");
    if (!e.expires.empty() && !is_date(e.expires)) {
      throw std::invalid_argument(at + " (" + e.rule + "): \"expires\" must be a date YYYY-MM-DD, got '" + e.expires + "'");
    }
    list.entries.push_back(std::move(e));
  }
  return list;
}

AllowList AllowList::load(const std::filesystem::path& file) {
  const auto text = detail::file_text(file);
  if (!text) throw std::runtime_error(file.string() + ": cannot open the allow-list");
  return from_text(*text, file.string());
}

AllowList AllowList::from_text(std::string_view text, std::string_view source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string(source) + ": not JSON: " + e.what());
  }
  try {
    return parse(j, source);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
}

void clear_allow_list_marks(SuiteResult& result) {
  std::erase_if(result.gate_errors, [](const std::string& e) { return e.ends_with(kExpiredEnd); });
  std::erase_if(result.gate_notes, [](const std::string& n) { return n.ends_with(kUnusedEnd); });
  for (auto& r : result.rules) r.allowed.reset(), r.allowed_until.clear();
}

std::string utc_today() { return detail::utc_now("%Y-%m-%d"); }

void apply_allow_list(SuiteResult& result, const AllowList& list, std::string_view today) {
  for (const auto& e : list.entries) {
    if (!matches(e, result)) continue;
    if (!e.expires.empty() && e.expires < today) {
      result.gate_errors.push_back(describe(e) + " expired on " + e.expires + std::string(kExpiredEnd));
      continue;
    }
    bool used = false;
    for (auto& r : result.rules) {
      if (r.id != e.rule || !r.broken()) continue;
      r.allowed = e.reason;
      r.allowed_until = e.expires;
      used = true;
    }
    if (!used) result.gate_notes.push_back(describe(e) + std::string(kUnusedEnd));
  }
}

}  // namespace runners
}  // namespace sinkkit
