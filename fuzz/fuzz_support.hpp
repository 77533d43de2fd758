#pragma once
// What the fuzz targets share. A target calls one of the kit's parsers the
// way the kit calls it, lets through the errors that parser documents, and
// checks what it can of the result: anything else (another exception, a
// failed check, a sanitizer report) is a find, and libFuzzer keeps its input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <unistd.h>

namespace sinkkit::fuzz {

// The input as text (the parsers read bytes, whatever they are).
inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A check on what a parser returned: failing it is a find.
inline void expect(bool ok, std::string_view what) {
  if (ok) return;
  std::fprintf(stderr, "sinkkit fuzz: expectation failed: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

// A folder of this process's own, removed at exit: in memory (/dev/shm)
// when the machine has it, since a file-reading target writes one per input.
class ScratchDir {
 public:
  ScratchDir() {
    std::error_code ec;
    const std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0
                                           ? std::filesystem::path("/dev/shm")
                                           : std::filesystem::temp_directory_path();
    path_ = base / ("sinkkit-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

// A file of the source tree (seeds the targets read at start, such as
// bench/targets.json).
inline std::filesystem::path source_file(std::string_view relative) {
  return std::filesystem::path(SINKKIT_SOURCE_DIR) / relative;
}

}  // namespace sinkkit::fuzz
