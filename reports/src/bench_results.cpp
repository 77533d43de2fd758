#include <sinkkit/reports/bench_results.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <stdexcept>

namespace sinkkit::reports {

namespace {

// Fields that describe a run rather than measure it.
const std::set<std::string> kNotMeasured = {"iterations", "repetitions", "repetition_index", "threads",
                                            "family_index", "per_family_instance_index"};

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
  std::map<std::string, std::size_t> index;
  std::map<std::string, BenchEntry> medians;  // from aggregates, used when no iterations
  std::vector<std::string> order;
  std::size_t position = 0;
  for (const auto& benchmark : j["benchmarks"]) {
    const std::string at = results.source + ": benchmark " + std::to_string(position++);
    if (!benchmark.is_object() || !benchmark.contains("name") || !benchmark["name"].is_string()) {
      throw std::invalid_argument(at + ": no name");
    }
    if (benchmark.value("error_occurred", false)) continue;  // a skipped benchmark measured nothing
    const std::string name = benchmark.value("run_name", benchmark["name"].get<std::string>());
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
    const std::string run_type = benchmark.value("run_type", "iteration");
    auto add_numbers = [&](BenchEntry& entry, bool as_stddev) {
      entry.name = name;
      entry.time_unit = benchmark.value("time_unit", "ns");
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
      const std::string aggregate = benchmark.value("aggregate_name", "");
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
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot open the benchmark results");
  try {
    return bench_results_from_json(nlohmann::json::parse(in), file.string());
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(file.string() + ": not JSON: " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
}

}  // namespace sinkkit::reports
