# A build with the tests off and the benchmarks on: it configures, and a
# benchmark that includes the test-support headers (sinkkit_test_utils)
# compiles. Compiling one object is enough to catch the target going missing
# again, and cheap; linking would need the whole kit built.
#
# cmake -DSOURCE_DIR=<repo> -DBINARY_DIR=<scratch> -DMAKE=<make> -DCXX=<compiler>
#       -DPREFIX_PATH=<CMAKE_PREFIX_PATH> -P tests_off_check.cmake
file(REMOVE_RECURSE "${BINARY_DIR}")
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "Unix Makefiles"
                        "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_PREFIX_PATH=${PREFIX_PATH}"
                        -DSINKKIT_ENABLE_TESTS=OFF -DSINKKIT_ENABLE_BENCH=ON -DSINKKIT_INSTALL=OFF
                        -DSINKKIT_HEADER_CHECKS=OFF -DSINKKIT_WERROR=ON
                        -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g0"
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "configuring with SINKKIT_ENABLE_TESTS=OFF SINKKIT_ENABLE_BENCH=ON failed")
endif()
# The object's own make target, in the bench folder's Makefile.
execute_process(COMMAND "${MAKE}" batch_bench.cpp.o WORKING_DIRECTORY "${BINARY_DIR}/bench" RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "bench/batch_bench.cpp does not compile with SINKKIT_ENABLE_TESTS=OFF")
endif()
file(REMOVE_RECURSE "${BINARY_DIR}")
