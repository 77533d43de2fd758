#include <sinkkit/reports/json_report.hpp>

#include <stdexcept>
#include <string>

#include <sinkkit/reports/report.hpp>
#include <sinkkit/results/result_file.hpp>

namespace sinkkit::reports {

namespace fs = std::filesystem;

std::filesystem::path write_json_report(const SuiteResult& result, const fs::path& dir, std::string_view name) {
  const auto path = dir / (file_stem(name.empty() ? std::string_view(result.sink) : name) + ".json");
  write_result_file(path, result);
  return path;
}

SuiteResult read_json_report(const fs::path& file) {
  try {
    return read_result_file(file);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string(e.what()) + " (not a sinkkit result this kit can read)");
  }
}

}  // namespace sinkkit::reports
