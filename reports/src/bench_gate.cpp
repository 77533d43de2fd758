#include <sinkkit/reports/bench_gate.hpp>

#include <algorithm>
#include <stdexcept>

#include <sinkkit/detail/file_text.hpp>

#include "bench_format.hpp"

namespace sinkkit::reports {

namespace {

using bench_format::printf_number;
using bench_format::signed_percent;
using bench_format::with_si_prefix;

// A target's `match`: a substring of the name; a leading ^ anchors it at
// the start, a trailing $ at the end. (Not std::regex: enough for names, and
// GCC 12 warns inside <regex> under the sanitizers.)
bool name_matches(const std::string& name, std::string pattern) {
  const bool at_start = !pattern.empty() && pattern.front() == '^';
  if (at_start) pattern.erase(pattern.begin());
  const bool at_end = !pattern.empty() && pattern.back() == '$';
  if (at_end) pattern.pop_back();
  if (at_start && at_end) return name == pattern;
  if (at_start) return name.starts_with(pattern);
  if (at_end) return name.ends_with(pattern);
  return name.find(pattern) != std::string::npos;
}

}  // namespace

std::vector<BenchTarget> read_bench_targets(const std::filesystem::path& file) {
  const auto text = sinkkit::detail::file_text(file);
  if (!text) throw std::runtime_error(file.string() + ": cannot open the targets");
  return read_bench_targets_text(*text, file.string());
}

std::vector<BenchTarget> read_bench_targets_text(std::string_view text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(source + ": not JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("targets") || !j["targets"].is_array()) {
    throw std::runtime_error(source + ": no \"targets\" array");
  }
  std::vector<BenchTarget> out;
  for (std::size_t i = 0; i < j["targets"].size(); ++i) {
    const auto& entry = j["targets"][i];
    const std::string at = source + ": target " + std::to_string(i);
    try {
      BenchTarget target;
      target.title = entry.at("title").get<std::string>();
      target.match = entry.at("match").get<std::string>();
      if (entry.contains("baseline")) {
        target.baseline_from = entry["baseline"].at(0).get<std::string>();
        target.baseline_to = entry["baseline"].at(1).get<std::string>();
      }
      target.baseline_metric = entry.value("baseline_metric", "");
      if (!target.baseline_from.empty() && !target.baseline_metric.empty()) {
        throw std::invalid_argument("\"baseline\" and \"baseline_metric\" both given: compare with one");
      }
      target.metric = entry.value("metric", "items_per_second");
      target.min_ratio = entry.value("min_ratio", 0.0);
      target.min_value = entry.value("min_value", 0.0);
      target.min_batch = entry.value("min_batch", 0.0);
      if (target.match.empty() || target.match == "^" || target.match == "$") {
        throw std::invalid_argument("\"match\" is empty");
      }
      out.push_back(std::move(target));
    } catch (const std::exception& e) {
      throw std::runtime_error(at + ": " + e.what());
    }
  }
  return out;
}

std::vector<TargetCheck> check_targets(const BenchResults& results, const std::vector<BenchTarget>& targets) {
  std::vector<TargetCheck> out;
  for (const auto& target : targets) {
    bool matched_any = false;
    for (const auto& entry : results.entries) {
      if (!name_matches(entry.name, target.match)) continue;
      if (target.min_batch > 0 && entry.median("batch").value_or(0) < target.min_batch) continue;
      const auto value = entry.median(target.metric);
      if (!value) continue;
      TargetCheck check;
      check.title = target.title;
      check.subject = entry.name;
      if (!target.baseline_from.empty()) {
        std::string baseline_name = entry.name;
        const auto at = baseline_name.find(target.baseline_from);
        if (at == std::string::npos) continue;
        baseline_name.replace(at, target.baseline_from.size(), target.baseline_to);
        const BenchEntry* baseline = results.find(baseline_name);
        check.baseline = baseline_name;
        check.goal = target.min_ratio;
        const auto baseline_value = baseline != nullptr ? baseline->median(target.metric) : std::nullopt;
        check.value = baseline_value && *baseline_value > 0 ? *value / *baseline_value : 0;
        check.met = baseline_value.has_value() && check.value >= target.min_ratio;
      } else if (!target.baseline_metric.empty()) {
        const auto baseline_value = entry.median(target.baseline_metric);
        check.baseline = entry.name + " " + target.baseline_metric;
        check.goal = target.min_ratio;
        check.value = baseline_value && *baseline_value > 0 ? *value / *baseline_value : 0;
        check.met = baseline_value.has_value() && check.value >= target.min_ratio;
      } else {
        check.goal = target.min_value;
        check.value = *value;
        check.met = *value >= target.min_value;
      }
      matched_any = true;
      out.push_back(std::move(check));
    }
    if (!matched_any) {
      out.push_back({.title = target.title, .subject = "(no benchmark matches " + target.match + ")", .met = false});
    }
  }
  return out;
}

bool Comparison::regressed() const {
  return std::any_of(changes.begin(), changes.end(), [](const BenchChange& change) { return change.regressed; });
}

std::string Comparison::regressions_text() const {
  std::string out;
  for (const auto& change : changes) {
    if (!change.regressed) continue;
    out += change.name + ": " + change.field + " " + with_si_prefix(change.before) + " -> " + with_si_prefix(change.after) +
           " (" + signed_percent(change.change) + ", noise +-" + printf_number(change.noise * 100, "%.1f") + "%, limit -" +
           printf_number(max_regression * 100, "%.0f") + "%)\n";
  }
  return out;
}

Comparison compare_bench(const BenchResults& before, const BenchResults& after, double max_regression) {
  Comparison comparison;
  comparison.max_regression = max_regression;
  for (const auto& old_entry : before.entries) {
    const BenchEntry* new_entry = after.find(old_entry.name);
    if (new_entry == nullptr) {
      comparison.missing.push_back(old_entry.name);
      continue;
    }
    BenchChange change;
    change.name = old_entry.name;
    change.field = old_entry.throughput_field();
    auto old_median = old_entry.median(change.field), new_median = new_entry->median(change.field);
    if (!old_median || !new_median || *old_median == 0) continue;
    if (change.field == "real_time") {  // a time: smaller is better, so compare rates
      change.before = 1e9 / *old_median, change.after = 1e9 / *new_median;
    } else {
      change.before = *old_median, change.after = *new_median;
    }
    change.change = change.after / change.before - 1;
    change.noise = old_entry.noise(change.field) + new_entry->noise(change.field);
    change.regressed = -change.change > max_regression && -change.change > change.noise;
    comparison.changes.push_back(std::move(change));
  }
  return comparison;
}

double parse_fraction(std::string_view text) {
  std::string number(text);
  const bool is_percent = !number.empty() && number.back() == '%';
  if (is_percent) number.pop_back();
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != number.size() || number.empty() || value < 0) {
    throw std::invalid_argument("'" + std::string(text) + "' is not a fraction (write 10% or 0.1)");
  }
  value = is_percent ? value / 100 : value;
  if (value >= 1) throw std::invalid_argument("'" + std::string(text) + "': a regression limit must be below 100%");
  return value;
}

}  // namespace sinkkit::reports
