# sinkkit_add_doc_examples(<name> INCLUDE_DIR <dir> [EXCLUDE <regex>] LINK <targets>...)
#
# Compiles the `**Example**:` block of every public header under <dir>, as
# fmt does with its documented snippets: scripts/doc_examples.py turns the
# library's examples into one translation unit under the build folder (at
# build time, so editing an example regenerates it), and the OBJECT library <name>
# compiles them with the warning set as errors. Nothing is linked or run: an
# example that stops compiling breaks the build, not a reader. How an example
# is written so that it compiles (and the names it may assume, from
# kit/tests/doc_examples/example_support.hpp) is in docs/architecture.md,
# "Doc examples". Headers under detail/ and *-inl.hpp are not public and are
# left out; so are the headers on SINKKIT_DOC_EXAMPLES_PENDING below, each
# reported at configure time and as a skipped CTest test.
#
# Every such library is also a dependency of the target sinkkit_doc_examples,
# so `cmake --build <dir> --target sinkkit_doc_examples` builds them all.
# Built with the kit's tests and the header check (SINKKIT_ENABLE_TESTS and
# SINKKIT_HEADER_CHECKS): the test command's ASan+UBSan build proves them,
# its TSan build leaves them out.

# Headers whose examples are not compiled yet, relative to the source root (a
# trailing "/" takes a whole folder). Empty: every public header's example
# compiles. A header may go here only while its API is being rewritten, and
# comes off with its example fixed.
set(SINKKIT_DOC_EXAMPLES_PENDING)

set(SINKKIT_DOC_EXAMPLES_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/../scripts/doc_examples.py)
set(SINKKIT_DOC_EXAMPLES_SUPPORT_DIR ${CMAKE_CURRENT_LIST_DIR}/../kit/tests/doc_examples)

function(sinkkit_add_doc_examples name)
  if(NOT SINKKIT_HEADER_CHECKS OR NOT SINKKIT_ENABLE_TESTS)
    return()
  endif()
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "INCLUDE_DIR;EXCLUDE" "LINK")
  if(NOT Python3_EXECUTABLE)
    find_package(Python3 COMPONENTS Interpreter REQUIRED)
  endif()
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS RELATIVE "${arg_INCLUDE_DIR}" "${arg_INCLUDE_DIR}/*.hpp")
  # One translation unit for the whole library: what an example costs to
  # compile is mostly parsing what every example includes (nlohmann/json and
  # the kit's headers), which one file per folder paid seven times for the
  # kit. Each header's example keeps a namespace of its own
  # (scripts/doc_examples.py).
  set(args)
  set(paths)
  foreach(header IN LISTS headers)
    if(header MATCHES "(^|/)detail/" OR header MATCHES "-inl\\.hpp$"
       OR (arg_EXCLUDE AND header MATCHES "${arg_EXCLUDE}"))
      continue()
    endif()
    set(path "${arg_INCLUDE_DIR}/${header}")
    file(RELATIVE_PATH from_root "${PROJECT_SOURCE_DIR}" "${path}")
    set(pending FALSE)
    foreach(entry IN LISTS SINKKIT_DOC_EXAMPLES_PENDING)
      string(LENGTH "${entry}" n)
      string(SUBSTRING "${from_root}" 0 ${n} prefix)
      if(from_root STREQUAL entry OR (entry MATCHES "/$" AND prefix STREQUAL entry))
        set(pending TRUE)
      endif()
    endforeach()
    if(pending)
      message(STATUS "doc example of ${from_root}: skipped (pending, see SINKKIT_DOC_EXAMPLES_PENDING)")
      add_test(NAME "doc_example.pending:${from_root}"
               COMMAND ${Python3_EXECUTABLE} ${SINKKIT_DOC_EXAMPLES_SCRIPT} --pending "${from_root}")
      set_tests_properties("doc_example.pending:${from_root}" PROPERTIES LABELS "unit" SKIP_RETURN_CODE 77)
      continue()
    endif()
    list(APPEND args "${path}" "${header}")
    list(APPEND paths "${path}")
  endforeach()
  if(NOT paths)
    return()
  endif()
  set(tu "${CMAKE_CURRENT_BINARY_DIR}/${name}/${name}.cpp")
  add_custom_command(OUTPUT "${tu}"
                     COMMAND ${Python3_EXECUTABLE} ${SINKKIT_DOC_EXAMPLES_SCRIPT} "${tu}" ${args}
                     DEPENDS ${paths} ${SINKKIT_DOC_EXAMPLES_SCRIPT}
                     COMMENT "Extracting the examples of ${name}"
                     VERBATIM)
  add_library(${name} OBJECT "${tu}")
  target_link_libraries(${name} PRIVATE ${arg_LINK})
  target_include_directories(${name} PRIVATE ${SINKKIT_DOC_EXAMPLES_SUPPORT_DIR})
  sinkkit_set_warnings(${name})
  # An example ends on the value it shows how to get: using it would be noise.
  target_compile_options(${name} PRIVATE -Werror -Wno-unused-variable -Wno-unused-but-set-variable)
  sinkkit_compile_only(${name})  # cmake/SinkkitHeaderCheck.cmake
  if(NOT TARGET sinkkit_doc_examples)
    add_custom_target(sinkkit_doc_examples)
  endif()
  add_dependencies(sinkkit_doc_examples ${name})
endfunction()
