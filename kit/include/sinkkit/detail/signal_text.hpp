#pragma once
/// \file
/// `sinkkit::detail::killed_by_signal`: how the kit names a signal that ended
/// a process, "killed by signal 11 (SIGSEGV)", wherever it reports one.

#include <string>

#include <string.h>

namespace sinkkit::detail {

inline std::string killed_by_signal(int signal) {
  const char* name = ::sigabbrev_np(signal);
  return "killed by signal " + std::to_string(signal) + (name ? " (SIG" + std::string(name) + ")" : "");
}

}  // namespace sinkkit::detail
