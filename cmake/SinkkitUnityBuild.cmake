# sinkkit_compile_together(<target> [BATCH <n>])
#
# Compiles <target>'s files in batches of <n> (default 8) as one translation
# unit each (a CMake unity build). Most of what a file of this project costs
# to compile is parsing and instantiating the same third-party headers
# (nlohmann/json alone is ~1.5 s per file, gtest ~1 s, CLI11 more) and the
# test command compiles three builds on two cores; batching the files of the
# multi-file targets halves that. The files are still written one concern per
# file, and each still compiles alone (SINKKIT_UNITY_BUILD=OFF builds them so,
# as the header checks do for headers), so a file cannot lean on another's
# includes or names. Never for the header checks or the doc examples: they
# exist to compile things one at a time.
option(SINKKIT_UNITY_BUILD "Compile the kit's multi-file targets in batches (faster builds)" ON)

function(sinkkit_compile_together target)
  if(NOT SINKKIT_UNITY_BUILD)
    return()
  endif()
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "BATCH" "")
  if(NOT arg_BATCH)
    set(arg_BATCH 8)
  endif()
  set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${arg_BATCH})
endfunction()
