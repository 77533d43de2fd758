#include <sinkkit/reports/json_report.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <sinkkit/reports/report.hpp>

namespace sinkkit::reports {

namespace fs = std::filesystem;

std::filesystem::path write_json_report(const SuiteResult& result, const fs::path& dir, std::string_view name) {
  const auto path = dir / (file_stem(name.empty() ? std::string_view(result.sink) : name) + ".json");
  write_file_atomically(path, render({result}, ReportFormat::json));
  return path;
}

SuiteResult read_json_report(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot open the report");
  std::stringstream buf;
  buf << in.rdbuf();
  try {
    return SuiteResult::from_json(nlohmann::json::parse(buf.str()));
  } catch (const std::exception& e) {
    throw std::runtime_error(file.string() + ": not a sinkkit result: " + e.what());
  }
}

}  // namespace sinkkit::reports
