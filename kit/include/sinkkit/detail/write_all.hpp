#pragma once
/// \file
/// `sinkkit::detail::write_all`: all of `text` to a descriptor, through
/// partial writes and interrupted calls; on an error it stops quietly (the
/// reader is gone: a child reporting to a parent that no longer listens).

#include <cerrno>
#include <string_view>

#include <unistd.h>

namespace sinkkit::detail {

inline void write_all(int fd, std::string_view text) noexcept {
  for (std::size_t off = 0; off < text.size();) {
    const auto n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace sinkkit::detail
