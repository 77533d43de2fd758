# sinkkit_add_test_suites(<target> LABELS <labels>...)
#
# Registers a GoogleTest program with CTest as one test per suite
# (`ctest -R 'WireSinkTest'` runs `--gtest_filter=WireSinkTest.*`), for the
# kit's own unit-test programs. Most of their tests take milliseconds, and a
# process per test cost more than the tests: under ASan each start and exit
# (its leak check included) takes ~0.15 s, for ~230 tests. The conformance
# programs keep one CTest test per rule (sinkkit_discover_tests), which is
# what a sink author reads.
#
# As gtest_discover_tests does, the suites are listed after each build
# (`--gtest_list_tests`) into a file CTest includes.
function(sinkkit_add_test_suites target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "LABELS")
  set(config "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites_config.cmake")
  set(list_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites.cmake")
  file(WRITE "${config}" "set(labels [==[${arg_LABELS}]==])\n")
  add_custom_command(TARGET ${target} POST_BUILD
                     COMMAND ${CMAKE_COMMAND} "-DEXE=$<TARGET_FILE:${target}>" "-DCONFIG=${config}"
                             "-DOUT=${list_file}" -P "${PROJECT_SOURCE_DIR}/cmake/list_test_suites.cmake"
                     BYPRODUCTS "${list_file}"
                     VERBATIM)
  # sinkkit_include_in_ctest: cmake/SinkkitConformance.cmake
  sinkkit_include_in_ctest(${target} suites_include "if(EXISTS [==[${list_file}]==])\n\
  include([==[${list_file}]==])\n\
else()\n\
  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\n\
endif()\n")
endfunction()
