# sinkkit_add_conformance_test(<target> SOURCES <files>... [LINK <libs>...] [BUDGET <n>] [TIMEOUT <s>])
#
# Builds a GoogleTest program from SOURCES (which use SINKKIT_CONFORMANCE_SUITE)
# and registers each of its rules with CTest (label "conformance"). BUDGET sets
# SINKKIT_BUDGET (cases per rule) for the registered tests; TIMEOUT is the CTest
# timeout per rule in seconds (default 600).
#
#   find_package(sinkkit CONFIG REQUIRED)
#   sinkkit_add_conformance_test(my_sink_conformance SOURCES my_sink_conformance.cpp LINK my_sink)
include_guard(GLOBAL)
include(GoogleTest)

function(sinkkit_add_conformance_test target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "BUDGET;TIMEOUT" "SOURCES;LINK")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "sinkkit_add_conformance_test(${target}): SOURCES is required")
  endif()
  if(NOT TARGET sinkkit::gtest)
    message(FATAL_ERROR "sinkkit_add_conformance_test(${target}): sinkkit::gtest is missing "
                        "(GoogleTest was not found when sinkkit was configured)")
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 600)
  endif()
  add_executable(${target} ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE sinkkit::gtest GTest::gtest_main ${arg_LINK})
  set(env "")
  if(arg_BUDGET)
    set(env "SINKKIT_BUDGET=${arg_BUDGET}")
  endif()
  gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS "conformance" TIMEOUT ${arg_TIMEOUT} ENVIRONMENT "${env}")
endfunction()
