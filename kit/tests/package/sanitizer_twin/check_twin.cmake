# cmake -DBUILD_DIR=<the sanitizer build> -DSOURCE_DIR=<this folder> -DWORK_DIR=... -DGENERATOR=... -P check_twin.cmake
# Configures this project against the build tree's package (no install),
# builds the ThreadSanitizer twin, runs its SK-2.10 and expects the rule
# failed by the sanitizer's report, the report in the rule's output.
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${WORK_DIR}" -G "${GENERATOR}" "-Dsinkkit_DIR=${BUILD_DIR}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the racy sink's project failed:\n${out}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}" --target racy_conformance_tsan
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the twin failed:\n${out}")
endif()
# The sink's static library was compiled again for the twin, with the sanitizer.
if(NOT EXISTS "${WORK_DIR}/libracy_sink_tsan.a")
  message(FATAL_ERROR "the twin did not build its own copy of the sink's library (libracy_sink_tsan.a)")
endif()
file(REMOVE_RECURSE "${WORK_DIR}/reports")
execute_process(COMMAND "${CMAKE_COMMAND}" -E env "SINKKIT_REPORT_DIR=${WORK_DIR}/reports"
                        "${WORK_DIR}/racy_conformance_tsan" "--gtest_filter=*SK_2_10*"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(rc EQUAL 0)
  message(FATAL_ERROR "the twin passed SK-2.10 on a sink with a data race")
endif()
foreach(expected IN ITEMS "SK-2.10 MUST failed" "a sanitizer reported an error during this rule's check"
                          "SUMMARY: ThreadSanitizer: data race")
  string(FIND "${out}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the twin's SK-2.10 console lacks '${expected}'")
  endif()
endforeach()
# The whole report is the rule's output, in the JSON result.
file(GLOB results "${WORK_DIR}/reports/*.json")
if(NOT results)
  message(FATAL_ERROR "the twin wrote no result under ${WORK_DIR}/reports")
endif()
list(GET results 0 result)
file(READ "${result}" json)
string(JSON rules GET "${json}" rules)
string(JSON rule_output GET "${rules}" 0 output)
foreach(expected IN ITEMS "WARNING: ThreadSanitizer: data race" "racy_sink.cpp"
                          "SUMMARY: ThreadSanitizer: data race")
  string(FIND "${rule_output}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "SK-2.10's output (the JSON result) lacks '${expected}':\n${rule_output}")
  endif()
endforeach()
