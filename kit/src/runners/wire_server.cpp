#include <sinkkit/runners/wire_server.hpp>

#include <algorithm>
#include <cerrno>

#include <unistd.h>

namespace sinkkit::detail {

RequestLines::RequestLines(std::istream& in) : in_(&in), from_fd_(&in == &std::cin) {}

bool RequestLines::next(std::string_view& line) {
  for (;;) {
    if (const auto nl = buffer_.find('\n', scanned_); nl != std::string::npos) {
      line = std::string_view(buffer_).substr(begin_, nl - begin_);
      begin_ = scanned_ = nl + 1;
      return true;
    }
    scanned_ = buffer_.size();
    if (eof_) {
      if (begin_ == buffer_.size()) return false;
      line = std::string_view(buffer_).substr(begin_);
      begin_ = scanned_ = buffer_.size();
      return true;
    }
    if (begin_ > 0) {  // what was given is no longer referred to
      buffer_.erase(0, begin_);
      scanned_ -= begin_;
      begin_ = 0;
    }
    if (from_fd_) {
      // Reads at least as much as is buffered, so a long line costs linear time.
      const auto old = buffer_.size();
      buffer_.resize(old + std::max<std::size_t>(std::size_t{1} << 16, old));
      ssize_t n;
      do {
        n = ::read(STDIN_FILENO, buffer_.data() + old, buffer_.size() - old);
      } while (n < 0 && errno == EINTR);
      buffer_.resize(old + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
      eof_ = n <= 0;
    } else if (std::string text; std::getline(*in_, text)) {
      buffer_ += text;
      buffer_ += '\n';
    } else {
      eof_ = true;
    }
  }
}

}  // namespace sinkkit::detail
