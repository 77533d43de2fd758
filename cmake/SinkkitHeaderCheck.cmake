# sinkkit_add_header_check(<name> INCLUDE_DIR <dir> [EXCLUDE <regex>] LINK <targets>...)
#
# Builds one generated translation unit per public header under <dir> (each
# including its header twice, so a missing guard shows too) with the full
# warning set as errors. The check runs as part of the default build: a header
# that does not compile alone breaks the build, not a later user.
# Headers named *-inl.hpp are template bodies included by another header and
# are left out. So are the umbrellas (all.hpp, and sinkkit/sinkkit.hpp, which
# includes the all.hpp of each layer): they only include headers that are
# checked here one by one; the doc examples compile every umbrella, and
# scripts/check_umbrellas.py checks what each one lists. (Checked alone, the
# six umbrellas cost half a minute of the test command's build.)
function(sinkkit_add_header_check name)
  if(NOT SINKKIT_HEADER_CHECKS)
    return()
  endif()
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "INCLUDE_DIR;EXCLUDE" "LINK")
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS RELATIVE "${arg_INCLUDE_DIR}" "${arg_INCLUDE_DIR}/*.hpp")
  set(sources)
  foreach(header IN LISTS headers)
    if(header MATCHES "-inl\\.hpp$" OR header MATCHES "(^|/)all\\.hpp$" OR header STREQUAL "sinkkit/sinkkit.hpp"
       OR (arg_EXCLUDE AND header MATCHES "${arg_EXCLUDE}"))
      continue()
    endif()
    string(MAKE_C_IDENTIFIER "${header}" tu_name)
    set(tu "${CMAKE_CURRENT_BINARY_DIR}/${name}/${tu_name}.cpp")
    file(CONFIGURE OUTPUT "${tu}" CONTENT "#include <${header}>\n#include <${header}>\n")
    list(APPEND sources "${tu}")
  endforeach()
  add_library(${name} OBJECT ${sources})
  target_link_libraries(${name} PRIVATE ${arg_LINK})
  target_compile_options(${name} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  sinkkit_compile_only(${name})
endfunction()

# sinkkit_compile_only(<target>): a target built only to prove its files
# compile (the header checks, the doc examples): never linked or run, so code
# generation, optimising, debug info and sanitizer instrumentation would only
# cost the test command time. The compiler runs with -fsyntax-only (through
# compile_syntax_only.sh, which leaves the object file the build expects).
# Flags set after the build type's, so these win.
function(sinkkit_compile_only target)
  set_property(TARGET ${target} PROPERTY CXX_COMPILER_LAUNCHER "${PROJECT_SOURCE_DIR}/cmake/compile_syntax_only.sh")
  target_compile_options(${target} PRIVATE -O0 -g0)
  if(SINKKIT_SANITIZE)
    target_compile_options(${target} PRIVATE -fno-sanitize=all)
  endif()
endfunction()
