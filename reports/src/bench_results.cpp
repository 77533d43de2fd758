#include <sinkkit/reports/bench_results.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include <sinkkit/detail/file_text.hpp>

namespace sinkkit::reports {

namespace {

// Fields that describe a run rather than measure it.
const std::set<std::string> kNotMeasured = {"iterations", "repetitions", "repetition_index", "threads",
                                            "family_index", "per_family_instance_index"};

// A text field of a benchmark, `fallback` when absent; one of another type
// is an error naming the field (found by fuzzing: it escaped as JSON's own
// type error, naming neither the file nor the benchmark).
std::string text_field(const nlohmann::json& benchmark, const char* key, const std::string& fallback, const std::string& at) {
  const auto it = benchmark.find(key);
  if (it == benchmark.end()) return fallback;
  if (!it->is_string()) throw std::invalid_argument(at + ": \"" + key + "\" is not a string");
  return it->get<std::string>();
}

}  // namespace

std::optional<double> BenchEntry::median(std::string_view field) const {
  auto found = samples.find(std::string(field));
  if (found == samples.end() || found->second.empty()) return std::nullopt;
  auto values = found->second;
  std::sort(values.begin(), values.end());
  const auto count = values.size();
  return count % 2 == 1 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

double BenchEntry::noise(std::string_view field) const {
  const auto middle = median(field);
  if (!middle || *middle == 0) return 0;
  const auto& values = samples.at(std::string(field));
  if (values.size() > 1) {
    const auto [lowest, highest] = std::minmax_element(values.begin(), values.end());
    return (*highest - *lowest) / 2 / std::fabs(*middle);
  }
  auto deviation = stddev.find(std::string(field));
  return deviation == stddev.end() ? 0 : deviation->second / std::fabs(*middle);
}

std::string BenchEntry::throughput_field() const {
  for (const char* field : {"items_per_second", "bytes_per_second"})
    if (samples.contains(field)) return field;
  return "real_time";
}

const BenchEntry* BenchResults::find(std::string_view name) const {
  for (const auto& entry : entries)
    if (entry.name == name) return &entry;
  return nullptr;
}

bool is_bench_json(const nlohmann::json& j) { return j.is_object() && j.contains("benchmarks") && j["benchmarks"].is_array(); }

BenchResults bench_results_from_json(const nlohmann::json& j, std::string source) {
  if (!is_bench_json(j)) throw std::invalid_argument(source + ": not benchmark results (no \"benchmarks\" array)");
  BenchResults results;
  results.source = std::move(source);
  results.context = j.value("context", nlohmann::json::object());
  if (!results.context.is_object()) throw std::invalid_argument(results.source + ": \"context\" is not an object");
  std::map<std::string, std::size_t> index;
  std::map<std::string, BenchEntry> medians;  // from aggregates, used when no iterations
  std::vector<std::string> order;
  std::size_t position = 0;
  for (const auto& benchmark : j["benchmarks"]) {
    const std::string at = results.source + ": benchmark " + std::to_string(position++);
    if (!benchmark.is_object() || !benchmark.contains("name") || !benchmark["name"].is_string()) {
      throw std::invalid_argument(at + ": no name");
    }
    if (const auto error = benchmark.find("error_occurred"); error != benchmark.end() && *error == true) {
      continue;  // a skipped benchmark measured nothing
    }
    const std::string name = text_field(benchmark, "run_name", benchmark["name"].get<std::string>(), at);
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
    const std::string run_type = text_field(benchmark, "run_type", "iteration", at);
    const std::string time_unit = text_field(benchmark, "time_unit", "ns", at);
    auto add_numbers = [&](BenchEntry& entry, bool as_stddev) {
      entry.name = name;
      entry.time_unit = time_unit;
      for (const auto& [key, value] : benchmark.items()) {
        if (!value.is_number() || kNotMeasured.contains(key)) continue;
        if (as_stddev) {
          entry.stddev[key] = value.get<double>();
        } else {
          entry.samples[key].push_back(value.get<double>());
        }
      }
    };
    if (run_type == "aggregate") {
      const std::string aggregate = text_field(benchmark, "aggregate_name", "", at);
      if (aggregate == "median") add_numbers(medians[name], false);
      if (aggregate == "stddev") add_numbers(medians[name], true);
      continue;
    }
    auto [slot, fresh] = index.emplace(name, results.entries.size());
    if (fresh) results.entries.emplace_back();
    add_numbers(results.entries[slot->second], false);
  }
  for (const auto& name : order) {
    if (index.contains(name) || !medians.contains(name)) continue;
    index.emplace(name, results.entries.size());
    results.entries.push_back(medians[name]);
  }
  // Keep the file's order.
  std::vector<BenchEntry> sorted;
  for (const auto& name : order)
    if (auto slot = index.find(name); slot != index.end()) sorted.push_back(std::move(results.entries[slot->second]));
  results.entries = std::move(sorted);
  return results;
}

BenchResults read_bench_results(const std::filesystem::path& file) {
  const auto text = sinkkit::detail::file_text(file);
  if (!text) throw std::runtime_error(file.string() + ": cannot open the benchmark results");
  return read_bench_results_text(*text, file.string());
}

BenchResults read_bench_results_text(std::string_view text, std::string source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(source + ": not JSON: " + e.what());
  }
  try {
    return bench_results_from_json(j, std::move(source));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
}

}  // namespace sinkkit::reports
