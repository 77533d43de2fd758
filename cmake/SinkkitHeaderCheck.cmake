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
  set(json_sources)
  foreach(header IN LISTS headers)
    if(header MATCHES "-inl\\.hpp$" OR header MATCHES "(^|/)all\\.hpp$" OR header STREQUAL "sinkkit/sinkkit.hpp"
       OR (arg_EXCLUDE AND header MATCHES "${arg_EXCLUDE}"))
      continue()
    endif()
    string(MAKE_C_IDENTIFIER "${header}" tu_name)
    set(tu "${CMAKE_CURRENT_BINARY_DIR}/${name}/${tu_name}.cpp")
    file(CONFIGURE OUTPUT "${tu}" CONTENT "#include <${header}>\n#include <${header}>\n")
    _sinkkit_reaches_json("${arg_INCLUDE_DIR}/${header}" reaches)
    if(reaches)
      list(APPEND json_sources "${tu}")
    else()
      list(APPEND sources "${tu}")
    endif()
  endforeach()
  # Headers that include nlohmann/json.hpp anyway (most, through
  # protocol/config.hpp) are compiled with it precompiled: parsing it was
  # most of their cost. Precompiling hides nothing there: each still
  # compiles alone with what it includes. Headers that do not reach it are
  # compiled without, so a missing standard include cannot hide behind it.
  # One precompiled header serves every header check (REUSE_FROM).
  foreach(part IN ITEMS "" "_json")
    set(part_sources ${sources})
    if(part STREQUAL "_json")
      set(part_sources ${json_sources})
    endif()
    if(NOT part_sources)
      continue()
    endif()
    add_library(${name}${part} OBJECT ${part_sources})
    target_link_libraries(${name}${part} PRIVATE ${arg_LINK})
    target_compile_options(${name}${part} PRIVATE -Wall -Wextra -Wpedantic -Werror -Winvalid-pch)
    sinkkit_compile_only(${name}${part})
    if(part STREQUAL "_json")
      _sinkkit_header_check_pch()
      target_precompile_headers(${name}${part} REUSE_FROM sinkkit_header_check_pch)
    endif()
  endforeach()
endfunction()

# The precompiled nlohmann/json.hpp the header checks share, made by a
# target of its own with nothing but nlohmann_json (a macro a user's target
# defines, as GoogleTest's do, must not be baked into it).
function(_sinkkit_header_check_pch)
  if(TARGET sinkkit_header_check_pch)
    return()
  endif()
  set(tu "${PROJECT_BINARY_DIR}/sinkkit_header_check_pch.cpp")
  file(CONFIGURE OUTPUT "${tu}" CONTENT "// the precompiled header's own translation unit\n")
  add_library(sinkkit_header_check_pch OBJECT "${tu}")
  target_link_libraries(sinkkit_header_check_pch PRIVATE nlohmann_json::nlohmann_json)
  target_compile_options(sinkkit_header_check_pch PRIVATE -Wall -Wextra -Wpedantic -Werror -Winvalid-pch)
  target_compile_features(sinkkit_header_check_pch PRIVATE cxx_std_20)
  sinkkit_compile_only(sinkkit_header_check_pch)
  target_precompile_headers(sinkkit_header_check_pch PRIVATE <nlohmann/json.hpp>)
endfunction()

# _sinkkit_reaches_json(<header path> <out var>): whether the header includes
# nlohmann/json.hpp, itself or through the kit's headers it includes
# (<sinkkit/...>, found under the project's include folders). Memoised.
function(_sinkkit_reaches_json path out)
  get_property(known GLOBAL PROPERTY "SINKKIT_REACHES_JSON:${path}" SET)
  if(known)
    get_property(value GLOBAL PROPERTY "SINKKIT_REACHES_JSON:${path}")
    set(${out} ${value} PARENT_SCOPE)
    return()
  endif()
  set_property(GLOBAL PROPERTY "SINKKIT_REACHES_JSON:${path}" FALSE)  # cycles end here
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${path}")  # an edited include list re-scans
  set(value FALSE)
  file(STRINGS "${path}" includes REGEX "^#include <[^>]+>")
  file(GLOB roots "${PROJECT_SOURCE_DIR}/kit/include" "${PROJECT_SOURCE_DIR}/reports/include"
                  "${PROJECT_SOURCE_DIR}/reference-sinks/*/include")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^#include <([^>]+)>.*" "\\1" included "${line}")
    if(included STREQUAL "nlohmann/json.hpp")
      set(value TRUE)
      break()
    endif()
    if(NOT included MATCHES "^sinkkit/")
      continue()
    endif()
    foreach(root IN LISTS roots)
      if(EXISTS "${root}/${included}")
        _sinkkit_reaches_json("${root}/${included}" sub)
        if(sub)
          set(value TRUE)
        endif()
        break()
      endif()
    endforeach()
    if(value)
      break()
    endif()
  endforeach()
  set_property(GLOBAL PROPERTY "SINKKIT_REACHES_JSON:${path}" ${value})
  set(${out} ${value} PARENT_SCOPE)
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
