# cmake -DEXE=<program> -DCONFIG=<file> -DOUT=<file> -P list_test_suites.cmake
# Writes to OUT one CTest test per GoogleTest suite of EXE, with the labels
# CONFIG sets (see sinkkit_add_test_suites).
include("${CONFIG}")
execute_process(COMMAND "${EXE}" --gtest_list_tests OUTPUT_VARIABLE listing ERROR_VARIABLE errors
                RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUT}")
  message(FATAL_ERROR "${EXE} --gtest_list_tests failed (${rc}):\n${listing}${errors}")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(content "")
set(count 0)
foreach(line IN LISTS lines)
  # A suite's line: "Name." or "Name/0.  # TypeParam = ..."; its tests' lines are indented.
  if(line MATCHES "^([^ ]+)\\.( +#.*)?$")
    set(name "${CMAKE_MATCH_1}.*")
    string(APPEND content "add_test([==[${name}]==] [==[${EXE}]==] [==[--gtest_filter=${name}]==])\n"
                          "set_tests_properties([==[${name}]==] PROPERTIES LABELS [==[${labels}]==])\n")
    math(EXPR count "${count} + 1")
  endif()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "${EXE} --gtest_list_tests listed no test suite:\n${listing}")
endif()
file(WRITE "${OUT}" "${content}")
