# sinkkit_add_layer_check(): CTest tests of the dependency rule of
# docs/architecture.md (each layer includes only the layers above it; the
# reference sinks use protocol and detail only; reports use results,
# protocol and detail only).
#
#   repo.layers                           scripts/check_layers.py on this tree: every
#                                         `#include <sinkkit/...>` of kit/include, kit/src,
#                                         kit/cli, reports/ and the reference sinks
#   repo.layers_fixture_upward_exits_1    on kit/tests/layers/fixture_upward (a protocol
#   repo.layers_fixture_upward_names_line header that includes runners): the check fails,
#                                         and names that file:line (one test per outcome,
#                                         since PASS_REGULAR_EXPRESSION ignores the exit code)
function(sinkkit_add_layer_check)
  if(NOT SINKKIT_ENABLE_TESTS)
    return()
  endif()
  set(script ${PROJECT_SOURCE_DIR}/scripts/check_layers.py)
  set(fixture ${PROJECT_SOURCE_DIR}/kit/tests/layers/fixture_upward)
  add_test(NAME repo.layers COMMAND ${Python3_EXECUTABLE} ${script} ${PROJECT_SOURCE_DIR})
  add_test(NAME repo.layers_fixture_upward_exits_1 COMMAND ${Python3_EXECUTABLE} ${script} ${fixture})
  add_test(NAME repo.layers_fixture_upward_names_line COMMAND ${Python3_EXECUTABLE} ${script} ${fixture})
  set_tests_properties(repo.layers repo.layers_fixture_upward_exits_1 repo.layers_fixture_upward_names_line
                       PROPERTIES LABELS "unit")
  set_tests_properties(repo.layers_fixture_upward_exits_1 PROPERTIES WILL_FAIL TRUE)
  set_tests_properties(repo.layers_fixture_upward_names_line PROPERTIES PASS_REGULAR_EXPRESSION
    "kit/include/sinkkit/protocol/upward\\.hpp:7: protocol includes <sinkkit/runners/harness\\.hpp>")
endfunction()
