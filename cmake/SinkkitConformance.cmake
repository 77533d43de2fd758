# sinkkit_add_conformance_test(<target> SOURCES <files>... [LINK <libs>...] [BUDGET <n>] [TIMEOUT <s>]
#                              [LABELS <labels>...] [SANITIZE <thread|address>...])
#
# Builds a GoogleTest program from SOURCES (which use SINKKIT_CONFORMANCE_SUITE)
# and registers each of its rules with CTest (label "conformance", plus LABELS
# if given, for `ctest -L`), named "<target>.Conformance/<Harness>.SK_..."
# (two programs of a project may use one harness name). A SHOULD rule the
# sink breaks is "***Skipped" with the warning (CTest has no warning state),
# and fails with SINKKIT_STRICT=1 in the environment of ctest. BUDGET sets
# SINKKIT_BUDGET (cases per rule) for the registered tests; TIMEOUT is the CTest
# timeout per rule in seconds (default 600).
#
# SANITIZE thread (or address, or both) also builds a sanitizer twin of the
# program, <target>_tsan (<target>_asan): SOURCES, and a copy of each static
# library of this project named in LINK, compiled with -fsanitize=thread
# (address,undefined), linked with the kit's variant built with the same
# sanitizer (sinkkit::gtest_tsan), its rules registered as "<target>_tsan.<rule test>"
# with the label "sanitizer" too. A report of the sanitizer during a rule's
# check fails that rule, the report in its output: a data race ThreadSanitizer
# sees fails SK-2.10 at every seed, whatever the run lost. Needs a sinkkit
# built with the variant (SINKKIT_SANITIZER_VARIANTS, on by default).
#
#   enable_testing()
#   find_package(sinkkit CONFIG REQUIRED)
#   sinkkit_add_conformance_test(my_sink_conformance SOURCES my_sink_conformance.cpp LINK my_sink)
#
# Testing must be enabled in the top-level CMakeLists.txt (enable_testing() or
# include(CTest)), or ctest would say "No tests were found": configure fails
# saying so (enable_testing() cannot be called from a function for you).
# With include(CTest) and -DBUILD_TESTING=OFF it adds nothing.
include_guard(GLOBAL)
include(GoogleTest)

function(sinkkit_add_conformance_test target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "BUDGET;TIMEOUT" "SOURCES;LINK;LABELS;SANITIZE")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "sinkkit_add_conformance_test(${target}): SOURCES is required")
  endif()
  # include(CTest) with -DBUILD_TESTING=OFF: tests were turned off on purpose.
  if(DEFINED BUILD_TESTING AND NOT BUILD_TESTING)
    return()
  endif()
  # CMAKE_TESTING_ENABLED: set by enable_testing() for its directory and below.
  get_directory_property(top_testing DIRECTORY "${CMAKE_SOURCE_DIR}" DEFINITION CMAKE_TESTING_ENABLED)
  if(NOT CMAKE_TESTING_ENABLED OR NOT top_testing)
    message(FATAL_ERROR "sinkkit_add_conformance_test(${target}): testing is not enabled in the top-level "
                        "CMakeLists.txt, so ctest would find none of these tests. Add enable_testing() (or "
                        "include(CTest)) to ${CMAKE_SOURCE_DIR}/CMakeLists.txt, before this call.")
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
  sinkkit_discover_tests(${target} LABELS conformance ${arg_LABELS} TEST_PREFIX "${target}."
                         PROPERTIES TIMEOUT ${arg_TIMEOUT} ENVIRONMENT "${env}")
  foreach(sanitizer IN LISTS arg_SANITIZE)
    if(sanitizer STREQUAL "thread")
      set(suffix tsan)
      set(flags -fsanitize=thread)
    elseif(sanitizer STREQUAL "address")
      set(suffix asan)
      # A UBSan report stops the rule's check as ASan's do (a crash the
      # runner checks case by case), rather than being printed and passed.
      set(flags -fsanitize=address,undefined -fno-sanitize-recover=undefined)
    else()
      message(FATAL_ERROR "sinkkit_add_conformance_test(${target}): SANITIZE takes thread or address, not "
                          "'${sanitizer}'")
    endif()
    if(NOT TARGET sinkkit::gtest_${suffix})
      message(FATAL_ERROR "sinkkit_add_conformance_test(${target}): SANITIZE ${sanitizer} needs sinkkit::gtest_${suffix}, "
                          "which this sinkkit was built without: configure sinkkit with "
                          "-DSINKKIT_SANITIZER_VARIANTS=${sanitizer} (a plain build; it is the default), build and "
                          "install it again")
    endif()
    set(links "")
    foreach(lib IN LISTS arg_LINK)
      _sinkkit_sanitized_copy(${lib} ${suffix} "${flags}" copy)
      list(APPEND links ${copy})
    endforeach()
    add_executable(${target}_${suffix} ${arg_SOURCES})
    target_compile_options(${target}_${suffix} PRIVATE ${flags} -fno-omit-frame-pointer -g)
    target_link_options(${target}_${suffix} PRIVATE ${flags})
    target_link_libraries(${target}_${suffix} PRIVATE sinkkit::gtest_${suffix} sinkkit::kit_${suffix}
                                                      GTest::gtest_main ${links})
    sinkkit_discover_tests(${target}_${suffix} LABELS conformance sanitizer ${arg_LABELS} TEST_PREFIX "${target}_${suffix}."
                           PROPERTIES TIMEOUT ${arg_TIMEOUT} ENVIRONMENT "${env}")
  endforeach()
endfunction()

# The library `lib` as the sanitizer twin links it: sinkkit::kit and
# sinkkit::gtest as their variant (`suffix`); a static or header-only
# (INTERFACE) library of this project as a copy (<lib>_<suffix>) compiled with
# `flags`, whose own libraries are mapped the same way, so that the twin links
# no uninstrumented kit; anything else (an imported library) as it is.
function(_sinkkit_sanitized_copy lib suffix flags out)
  if(lib STREQUAL "sinkkit::kit" OR lib STREQUAL "sinkkit::gtest")
    set(${out} ${lib}_${suffix} PARENT_SCOPE)
    return()
  endif()
  set(${out} ${lib} PARENT_SCOPE)
  if(NOT TARGET ${lib} OR lib MATCHES "^\\$<")
    return()
  endif()
  get_target_property(type ${lib} TYPE)
  get_target_property(imported ${lib} IMPORTED)
  if(imported OR NOT type MATCHES "^(STATIC|INTERFACE)_LIBRARY$")
    return()
  endif()
  set(copy ${lib}_${suffix})
  set(${out} ${copy} PARENT_SCOPE)
  if(TARGET ${copy})
    return()
  endif()
  if(type STREQUAL "INTERFACE_LIBRARY")
    add_library(${copy} INTERFACE)
    set(copied INTERFACE_INCLUDE_DIRECTORIES INTERFACE_COMPILE_DEFINITIONS INTERFACE_COMPILE_OPTIONS
               INTERFACE_COMPILE_FEATURES INTERFACE_LINK_OPTIONS)
  else()
    get_target_property(sources ${lib} SOURCES)
    get_target_property(dir ${lib} SOURCE_DIR)
    set(paths "")
    foreach(source IN LISTS sources)
      if(IS_ABSOLUTE "${source}" OR source MATCHES "^\\$<")
        list(APPEND paths "${source}")
      else()
        list(APPEND paths "${dir}/${source}")
      endif()
    endforeach()
    add_library(${copy} STATIC ${paths})
    set(copied INCLUDE_DIRECTORIES COMPILE_DEFINITIONS COMPILE_OPTIONS COMPILE_FEATURES CXX_STANDARD
               POSITION_INDEPENDENT_CODE INTERFACE_INCLUDE_DIRECTORIES INTERFACE_COMPILE_DEFINITIONS
               INTERFACE_COMPILE_OPTIONS INTERFACE_COMPILE_FEATURES INTERFACE_LINK_OPTIONS)
  endif()
  foreach(property IN LISTS copied)
    get_target_property(value ${lib} ${property})
    if(value)
      set_property(TARGET ${copy} PROPERTY ${property} "${value}")
    endif()
  endforeach()
  if(type STREQUAL "STATIC_LIBRARY")
    target_compile_options(${copy} PRIVATE ${flags} -fno-omit-frame-pointer -g)
  endif()
  foreach(property IN ITEMS LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
    if(type STREQUAL "INTERFACE_LIBRARY" AND property STREQUAL "LINK_LIBRARIES")
      continue()
    endif()
    get_target_property(links ${lib} ${property})
    if(NOT links)
      continue()
    endif()
    set(mapped "")
    foreach(link IN LISTS links)
      _sinkkit_sanitized_copy("${link}" ${suffix} "${flags}" link_copy)
      list(APPEND mapped "${link_copy}")
    endforeach()
    set_property(TARGET ${copy} PROPERTY ${property} "${mapped}")
  endforeach()
endfunction()

# sinkkit_discover_tests(<target> LABELS <labels>... [TEST_PREFIX <prefix>] [PROPERTIES <name> <value>...])
#
# gtest_discover_tests with any number of CTest labels. (gtest_discover_tests
# flattens a list passed as a property value: LABELS "a;b" reaches CTest as
# LABELS a, then a property named b.) The labels are set by a small file CTest
# includes after the discovered tests, on the list of names discovery made.
function(sinkkit_discover_tests target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TEST_PREFIX" "LABELS;PROPERTIES")
  set(prefix_args "")
  if(arg_TEST_PREFIX)
    set(prefix_args TEST_PREFIX "${arg_TEST_PREFIX}")
  endif()
  gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60 TEST_LIST ${target}_TESTS ${prefix_args}
                       PROPERTIES ${arg_PROPERTIES})
  sinkkit_include_in_ctest(${target} labels "if(${target}_TESTS)\n\
  set_tests_properties(\${${target}_TESTS} PROPERTIES LABELS \"${arg_LABELS}\")\n\
endif()\n")
  set_property(TARGET ${target} PROPERTY SINKKIT_TEST_LABELS "${arg_LABELS}")
endfunction()

# sinkkit_include_in_ctest(<target> <name> <code>): writes CMake code that
# CTest runs when it reads this directory's tests (after the tests registered
# so far), as <target>_<name>.cmake in the build folder. One quoted <code>
# argument, so that semicolons in it (a list of labels) stay as written.
function(sinkkit_include_in_ctest target name code)
  set(file "${CMAKE_CURRENT_BINARY_DIR}/${target}_${name}.cmake")
  file(WRITE "${file}" "${code}")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${file}")
endfunction()

# sinkkit_run_tests_alone(<target> MATCHING <regex>)
#
# The tests of <target> (registered by sinkkit_discover_tests) whose names
# match <regex> run with no other test beside them (RUN_SERIAL): a check
# whose finding needs the workers' threads on cores of their own (a race
# that shows only when two calls really run at once).
function(sinkkit_run_tests_alone target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "MATCHING" "")
  _sinkkit_set_matching_tests(${target} alone "${arg_MATCHING}" "RUN_SERIAL TRUE")
endfunction()

# sinkkit_add_test_label(<target> <label> MATCHING <regex>)
#
# The tests of <target> (registered by sinkkit_discover_tests or
# sinkkit_add_conformance_test) whose names match <regex> also carry <label>;
# for a build that runs only some of them, as `ctest -L <label>`.
function(sinkkit_add_test_label target label)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "MATCHING" "")
  get_target_property(labels ${target} SINKKIT_TEST_LABELS)
  list(APPEND labels ${label})
  _sinkkit_set_matching_tests(${target} ${label}_labels "${arg_MATCHING}" "LABELS \"${labels}\"")
endfunction()

# Sets `properties` (CMake code: "NAME VALUE ...") on the tests of `target`
# (registered by sinkkit_discover_tests) whose names match `regex`, once CTest
# knows them (the code is `name`'s file of sinkkit_include_in_ctest).
function(_sinkkit_set_matching_tests target name regex properties)
  get_target_property(labels ${target} SINKKIT_TEST_LABELS)
  if(NOT labels OR NOT regex)
    message(FATAL_ERROR "sinkkit: ${target}'s tests (MATCHING ${regex}): needs MATCHING and a target registered by "
                        "sinkkit_discover_tests")
  endif()
  sinkkit_include_in_ctest(${target} ${name} "foreach(test IN LISTS ${target}_TESTS)\n\
  if(test MATCHES [==[${regex}]==])\n\
    set_tests_properties(\"\${test}\" PROPERTIES ${properties})\n\
  endif()\n\
endforeach()\n")
endfunction()
