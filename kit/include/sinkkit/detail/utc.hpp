#pragma once
// The current UTC time as text, for reports and allow-list expiry. Not API.

#include <ctime>
#include <string>

namespace sinkkit::detail {

/// Now in UTC through strftime: "%Y-%m-%dT%H:%M:%SZ" (ISO 8601), "%Y-%m-%d" (a date).
inline std::string utc_now(const char* format = "%Y-%m-%dT%H:%M:%SZ") {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  return std::string(buf, std::strftime(buf, sizeof buf, format, &tm));
}

}  // namespace sinkkit::detail
