#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/file_text.hpp>
#include <sinkkit/results/result_file.hpp>

namespace sinkkit {
inline namespace results {

namespace fs = std::filesystem;

std::string result_json_text(const SuiteResult& result) {
  // A sink's output or messages may hold any bytes: replace what is not UTF-8
  // rather than fail to write the report.
  return result.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void write_file_atomically(const fs::path& path, std::string_view text) {
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) throw std::runtime_error("cannot create directory " + path.parent_path().string() + ": " + ec.message());
  }
  // In the same folder (a rename across file systems is not atomic), named
  // per process (several may write one report, see merge_results).
  const auto tmp = path.parent_path() / ("." + path.filename().string() + ".tmp" + std::to_string(::getpid()));
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      throw std::runtime_error("cannot write " + tmp.string());
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error("cannot move " + tmp.string() + " into place at " + path.string() + ": " + ec.message());
  }
}

void write_result_file(const fs::path& path, const SuiteResult& result) {
  write_file_atomically(path, result_json_text(result));
}

SuiteResult read_result_file(const fs::path& path) {
  const auto text = detail::file_text(path);
  if (!text) throw std::invalid_argument(path.string() + ": cannot open");
  return read_result_text(*text, path.string());
}

SuiteResult read_result_text(std::string_view text, std::string_view source) {
  try {
    return SuiteResult::from_json(nlohmann::json::parse(text));
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string(source) + ": " + e.what());
  }
}

}  // namespace results
}  // namespace sinkkit
