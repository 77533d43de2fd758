#include <sinkkit/reports/json_report.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include <unistd.h>

namespace sinkkit::reports {

namespace fs = std::filesystem;

std::filesystem::path write_json_report(const SuiteResult& result, const fs::path& dir, std::string_view name) {
  std::string base(name.empty() ? std::string_view(result.sink) : name);
  for (char& c : base)
    if (c == '/' || c == '\0') c = '_';  // a sink name is not a path
  if (base.empty()) base = "sink";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create report directory " + dir.string() + ": " + ec.message());
  const auto path = dir / (base + ".json");
  const auto tmp = dir / ("." + base + ".json.tmp" + std::to_string(::getpid()));
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << result.to_json().dump(2) << "\n";
    out.close();
    if (!out) throw std::runtime_error("cannot write report " + tmp.string());
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error("cannot move report into place at " + path.string());
  }
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
