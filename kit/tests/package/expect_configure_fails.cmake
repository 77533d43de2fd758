# cmake -DSOURCE_DIR=... -DBINARY_DIR=... -DREGEX=... [-DARGS="a;b"] -P expect_configure_fails.cmake
# Passes only when configuring SOURCE_DIR fails with a message matching REGEX.
file(REMOVE_RECURSE "${BINARY_DIR}")
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BINARY_DIR}" ${ARGS}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "configuring ${SOURCE_DIR} succeeded; it should have failed")
endif()
if(NOT err MATCHES "${REGEX}")
  message(FATAL_ERROR "configuring ${SOURCE_DIR} failed, but not with /${REGEX}/:\n${err}")
endif()
message(STATUS "configure failed as expected")
