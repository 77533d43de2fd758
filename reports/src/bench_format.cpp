#include "bench_format.hpp"

#include <cmath>
#include <cstdio>

namespace sinkkit::reports::bench_format {

std::string printf_number(double value, const char* spec) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, spec, value);
  return buffer;
}

std::string with_si_prefix(double value) {
  const char* prefixes[] = {"", "k", "M", "G", "T"};
  int prefix = 0;
  while (std::fabs(value) >= 1000 && prefix < 4) value /= 1000, ++prefix;
  return printf_number(value, "%.3g") + " " + prefixes[prefix];
}

std::string signed_percent(double fraction) { return printf_number(fraction * 100, "%+.1f%%"); }

std::vector<std::string> measured_columns(const BenchResults& results) {
  std::vector<std::string> columns;
  for (const char* field : {"items_per_second", "sink_items_per_second", "bytes_per_second", "real_time",
                            "write_p50_ns", "sink_write_p50_ns", "write_p90_ns", "write_p99_ns", "write_max_ns",
                            "close_p50_ns"}) {
    for (const auto& entry : results.entries) {
      if (entry.samples.contains(field)) {
        columns.emplace_back(field);
        break;
      }
    }
  }
  return columns;
}

std::string measurement_cell(const BenchEntry& entry, const std::string& field) {
  const auto median = entry.median(field);
  if (!median) return "-";
  if (field.ends_with("_per_second")) return with_si_prefix(*median) + "/s";
  if (field == "real_time") return printf_number(*median) + " " + entry.time_unit;
  return with_si_prefix(*median * 1e-9) + "s";  // the latency fields are in ns
}

std::string grid_note(const BenchResults& results) {
  const auto grid = results.context.find("grid");
  if (grid == results.context.end() || !grid->is_string()) return "";
  const auto name = grid->get<std::string>();
  if (name == "quick") return "Grid: quick (a few batch sizes and worker counts; SINKKIT_BENCH=full runs all of them)";
  if (name == "full") return "Grid: full (every batch size and worker count)";
  return "Grid: " + name;
}

std::string host_note(const BenchResults& results) {
  const auto& context = results.context;
  if (!context.is_object() || !context.contains("host_name")) return "";
  auto text = [&context](const char* key) {
    const auto it = context.find(key);
    if (it == context.end()) return std::string("?");
    return it->is_string() ? it->get<std::string>() : it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  return "Host " + text("host_name") + ", " + text("num_cpus") + " CPUs, " + text("date");
}

std::string target_measurement(const TargetCheck& check) {
  if (check.baseline.empty()) return with_si_prefix(check.value) + " (goal >= " + with_si_prefix(check.goal) + ")";
  return printf_number(check.value, "%.2f") + "x (goal >= " + printf_number(check.goal, "%.2f") + "x)";
}

}  // namespace sinkkit::reports::bench_format
