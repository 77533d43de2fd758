#pragma once
// A whole file as text, for the readers of saved files (results, benchmark
// results, targets, allow-lists), which parse it with their `*_text` twin.
// Not API.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

namespace sinkkit::detail {

/// The bytes of `path`, or nothing if it cannot be opened.
inline std::optional<std::string> file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace sinkkit::detail
