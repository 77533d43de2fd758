# cmake -DCOMPILER=... -DSOURCE=... -DINCLUDES="a;b" -DEXPECT=fail|pass [-DREGEX=...] -P ExpectCompile.cmake
#
# Compiles SOURCE with -fsyntax-only. EXPECT=fail passes only when the compile
# fails with a diagnostic matching REGEX (so a broken include path cannot pass
# for a rejected conversion); EXPECT=pass only when it compiles.
set(args -std=c++20 -fsyntax-only)
foreach(dir IN LISTS INCLUDES)
  list(APPEND args "-I${dir}")
endforeach()
execute_process(COMMAND "${COMPILER}" ${args} "${SOURCE}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(EXPECT STREQUAL "pass")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "expected ${SOURCE} to compile, it did not:\n${err}")
  endif()
  message(STATUS "compiles, as expected: ${SOURCE}")
else()
  if(rc EQUAL 0)
    message(FATAL_ERROR "expected ${SOURCE} NOT to compile, but it did")
  endif()
  if(NOT err MATCHES "${REGEX}")
    message(FATAL_ERROR "${SOURCE} failed to compile, but not for the expected reason (/${REGEX}/):\n${err}")
  endif()
  message(STATUS "rejected, as expected: ${SOURCE}")
endif()
