# cmake -DBUILD_DIR=... (-DCONSUMER_DIR=... | -DDOC=... -DEXTRACT_WITH=python3) -DWORK_DIR=...
#       [-DRUN=ctest] [-DCTEST_LABEL=...] [-DCONSUMER_FLAGS=...] [-DPYTHON=...] -P check_package.cmake
# Installs the build tree to a scratch prefix, then configures, builds and runs
# the consumer project against it with find_package(sinkkit CONFIG): its
# "consumer" program, or with RUN=ctest its tests (with CTEST_LABEL, those of
# that label, and at least one must run). With DOC, the project is the files
# that document's walk-through shows (scripts/extract_doc_files.py). With PYTHON, also checks
# the installed Python adapter: importable from the prefix's dist-packages,
# runnable as python3 -m sinkkit_adapter, its pytest plugin registered.
file(REMOVE_RECURSE "${WORK_DIR}")
if(DOC)
  set(CONSUMER_DIR "${WORK_DIR}/src")
  get_filename_component(extractor "${CMAKE_CURRENT_LIST_DIR}/../../../scripts/extract_doc_files.py" ABSOLUTE)
  execute_process(COMMAND "${EXTRACT_WITH}" "${extractor}" "${DOC}" "${CONSUMER_DIR}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "extracting the walk-through of ${DOC} failed")
  endif()
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install failed")
endif()
if(PYTHON)
  file(GLOB python_dirs "${WORK_DIR}/prefix/lib/python3*/dist-packages")
  if(NOT python_dirs)
    message(FATAL_ERROR "the Python adapter was not installed under ${WORK_DIR}/prefix/lib/python3*/dist-packages")
  endif()
  list(GET python_dirs 0 python_dir)
  set(ENV{PYTHONPATH} "${python_dir}")
  execute_process(COMMAND "${PYTHON}" -c "import sinkkit_adapter, sys; print(sinkkit_adapter.__file__)"
                  OUTPUT_VARIABLE where RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT where MATCHES "^${python_dir}/sinkkit_adapter/")
    message(FATAL_ERROR "the installed adapter is not the one imported (${rc}): ${where}")
  endif()
  execute_process(COMMAND "${PYTHON}" -m sinkkit_adapter --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT help MATCHES "built-in read-backs")
    message(FATAL_ERROR "python3 -m sinkkit_adapter --help failed (${rc})")
  endif()
  execute_process(COMMAND "${PYTHON}" -c
                  "import importlib.metadata as m; print([e.value for e in m.entry_points(group='pytest11')])"
                  OUTPUT_VARIABLE plugins RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT plugins MATCHES "sinkkit_adapter.pytest_plugin")
    message(FATAL_ERROR "the pytest plugin's entry point is not registered: ${plugins}")
  endif()
  unset(ENV{PYTHONPATH})
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${CONSUMER_DIR}" -B "${WORK_DIR}/build"
                        "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix" "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}"
                        "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the consumer against the installed package failed")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the consumer failed")
endif()
if(RUN STREQUAL "ctest")
  set(label_args "")
  if(CTEST_LABEL)
    set(label_args -L "${CTEST_LABEL}")
  endif()
  execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${WORK_DIR}/build" --output-on-failure -j2 ${label_args}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message("${out}")
  if(CTEST_LABEL AND NOT out MATCHES "tests passed, [0-9]+ tests failed out of [1-9]")
    message(FATAL_ERROR "ctest -L ${CTEST_LABEL} ran no tests")
  endif()
else()
  execute_process(COMMAND "${WORK_DIR}/build/consumer" RESULT_VARIABLE rc)
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the consumer ran but failed (${rc})")
endif()
