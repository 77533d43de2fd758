# cmake -DBUILD_DIR=<a build of sinkkit> -DSOURCE_DIR=<this folder> -DWORK_DIR=... -DGENERATOR=...
#       [-DCONSUMER_FLAGS=...] -P check_ctest_view.cmake
# Configures this project against the build tree's package (no install) and
# checks what CTest shows:
# - two programs with the harness LenientHarness: every test name distinct;
# - SK-3.6 broken (a SHOULD rule): "***Skipped", named in the summary, with
#   the warning in its output; ctest exits 0;
# - SINKKIT_STRICT=1 ctest: the same test fails, the warning in its output.
# - SINKKIT_SHARD=2/3: only that shard's rules are checked, the result says so.
# - SINKKIT_SOAK=2s: a rule checked in rounds at fresh seeds until the time is up.
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${WORK_DIR}" -G "${GENERATOR}" "-Dsinkkit_DIR=${BUILD_DIR}"
                        "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the lenient sink's project failed:\n${out}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}" -j2 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the lenient sink's programs failed:\n${out}")
endif()

# Every name once, each program's own.
execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${WORK_DIR}" -N RESULT_VARIABLE rc OUTPUT_VARIABLE listing)
string(REGEX MATCHALL "Test +#[0-9]+: [^\n]+" lines "${listing}")
set(names "")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "Test +#[0-9]+: " "" name "${line}")
  list(APPEND names "${name}")
endforeach()
list(LENGTH names count)
set(unique ${names})
list(REMOVE_DUPLICATES unique)
list(LENGTH unique unique_count)
if(count LESS 4 OR NOT count EQUAL unique_count)
  message(FATAL_ERROR "expected distinct test names for the two programs, got ${count} names, ${unique_count} "
                      "distinct:\n${listing}")
endif()
foreach(program IN ITEMS lenient_conformance lenient_conformance_again)
  if(NOT listing MATCHES "Test +#[0-9]+: ${program}\\.Conformance/LenientHarness\\.SK_3_6_")
    message(FATAL_ERROR "no test ${program}.Conformance/LenientHarness.SK_3_6_* in:\n${listing}")
  endif()
endforeach()

set(one_rule "^lenient_conformance\\.Conformance/LenientHarness\\.SK_3_6_")
execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${WORK_DIR}" -R "${one_rule}" --output-on-failure
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "a SHOULD rule the sink breaks failed ctest without SINKKIT_STRICT (exit ${rc})")
endif()
# (gtest_discover_tests ends a parameterised test's name with "  # GetParam() = SK-3.6".)
if(NOT out MATCHES "lenient_conformance\\.Conformance/LenientHarness\\.SK_3_6_[^\n]* [.]*\\*\\*\\*Skipped"
   OR NOT out MATCHES "The following tests did not run:[^\n]*\n[^\n]*lenient_conformance\\.Conformance/LenientHarness\\.SK_3_6_[^\n]*\\(Skipped\\)")
  message(FATAL_ERROR "CTest's output does not name the broken SHOULD rule as skipped")
endif()
# What the rule printed: the warning, in CTest's log of the run.
file(READ "${WORK_DIR}/Testing/Temporary/LastTest.log" log)
if(NOT log MATCHES "WARNING: SHOULD rule SK-3.6 broken \\(SINKKIT_STRICT=1 fails it\\)")
  message(FATAL_ERROR "the rule's output lacks the warning:\n${log}")
endif()

execute_process(COMMAND "${CMAKE_COMMAND}" -E env SINKKIT_STRICT=1
                        "${CMAKE_CTEST_COMMAND}" --test-dir "${WORK_DIR}" -R "${one_rule}" --output-on-failure
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(rc EQUAL 0)
  message(FATAL_ERROR "SINKKIT_STRICT=1 ctest passed a broken SHOULD rule")
endif()
if(NOT out MATCHES "\\(strict\\) SK-3.6 SHOULD warning"
   OR NOT out MATCHES "The following tests FAILED:[^\n]*\n[^\n]*lenient_conformance\\.Conformance/LenientHarness\\.SK_3_6_")
  message(FATAL_ERROR "the strict run's output does not name the rule's failure")
endif()

# SINKKIT_SHARD=2/3: the program checks shard 2's rules only (rule k of the
# catalogue is shard k mod 3 + 1's: of SK-2.1 (the 5th), SK-2.2 and SK-2.3,
# SK-2.1), skips the others saying whose they are, and its result says which
# part it is.
file(REMOVE_RECURSE "${WORK_DIR}/shard-report")
execute_process(COMMAND "${CMAKE_COMMAND}" -E env SINKKIT_SHARD=2/3 SINKKIT_SEED=5 SINKKIT_BUDGET=5
                        "SINKKIT_REPORT_DIR=${WORK_DIR}/shard-report"
                        "${WORK_DIR}/lenient_conformance" "--gtest_filter=*SK_2_1_*:*SK_2_2_*:*SK_2_3_*"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "shard 2/3 of SK-2.1..SK-2.3 failed (exit ${rc}):\n${out}")
endif()
if(NOT out MATCHES "SK-2.1 passed"
   OR NOT out MATCHES "not in shard 2/3 \\(SINKKIT_SHARD\\)"
   OR out MATCHES "SK-2.2 passed" OR out MATCHES "SK-2.3 passed")
  message(FATAL_ERROR "SINKKIT_SHARD=2/3 did not check exactly its rules of SK-2.1..SK-2.3:\n${out}")
endif()
file(READ "${WORK_DIR}/shard-report/LenientHarness.json" json)
string(JSON shard GET "${json}" shard)
string(JSON rule_count LENGTH "${json}" rules)
string(JSON only_rule GET "${json}" rules 0 id)
if(NOT shard STREQUAL "2/3" OR NOT rule_count EQUAL 1 OR NOT only_rule STREQUAL "SK-2.1")
  message(FATAL_ERROR "the shard's result should be shard 2/3 with SK-2.1 alone:\n${json}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E env SINKKIT_SHARD=0/3 "${WORK_DIR}/lenient_conformance" "--gtest_filter=*SK_2_1_*"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0 OR NOT out MATCHES "SINKKIT_SHARD=0/3: shard '0/3': I must be 1 to 3")
  message(FATAL_ERROR "SINKKIT_SHARD=0/3 was not refused naming the variable (exit ${rc}):\n${out}")
endif()

# SINKKIT_SOAK=2s: the rule's test checks it in rounds at fresh seeds until
# the time is up, and says how many.
execute_process(COMMAND "${CMAKE_COMMAND}" -E env SINKKIT_SOAK=2s SINKKIT_SEED=7 SINKKIT_BUDGET=5
                        "${WORK_DIR}/lenient_conformance" "--gtest_filter=*SK_2_1_*"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "SK-2.1 passed \\(([0-9]+) cases; soaked: ([0-9]+) rounds in 0m0[0-9]s, seeds 7 to ")
  message(FATAL_ERROR "SINKKIT_SOAK=2s did not soak SK-2.1 in rounds (exit ${rc}):\n${out}")
endif()
if(CMAKE_MATCH_2 LESS 2 OR CMAKE_MATCH_1 LESS 10)
  message(FATAL_ERROR "SINKKIT_SOAK=2s ran ${CMAKE_MATCH_2} rounds, ${CMAKE_MATCH_1} cases:\n${out}")
endif()
