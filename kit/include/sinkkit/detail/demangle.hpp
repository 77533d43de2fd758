#pragma once
/// \file
/// `sinkkit::detail::type_name`: a readable name for an exception's type in
/// messages ("nlohmann::json_abi_v3_11_2::detail::type_error", not
/// "N8nlohmann...E").

#include <cstdlib>
#include <memory>
#include <string>
#include <typeinfo>

#include <cxxabi.h>

namespace sinkkit::detail {

inline std::string type_name(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

}  // namespace sinkkit::detail
