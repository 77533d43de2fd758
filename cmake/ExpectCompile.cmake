# cmake -DCOMPILER=... -DSOURCE=... -DINCLUDES="a;b" [-DDEFINES="A;B=1"] -DEXPECT=fail|pass
#       [-DREGEX=...] [-DFIRST_ERROR=ON] [-DPCH=header] -P ExpectCompile.cmake
#
# Compiles SOURCE with -fsyntax-only. EXPECT=fail passes only when the compile
# fails with a diagnostic matching REGEX (so a broken include path cannot pass
# for a rejected conversion); with FIRST_ERROR, the first "error:" line must
# match it (what a user reads first). EXPECT=pass only when it compiles.
# PCH: a header included first, whose .gch beside it saves the parse of what
# SOURCE includes anyway (a .gch GCC cannot use only costs the time).
set(args -std=c++20 -fsyntax-only)
if(PCH)
  list(APPEND args -Winvalid-pch -include "${PCH}")
endif()
foreach(dir IN LISTS INCLUDES)
  list(APPEND args "-I${dir}")
endforeach()
foreach(define IN LISTS DEFINES)
  list(APPEND args "-D${define}")
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
  set(checked "${err}")
  if(FIRST_ERROR)
    string(REGEX MATCH "[^\n]*error:[^\n]*" checked "${err}")
  endif()
  if(NOT checked MATCHES "${REGEX}")
    message(FATAL_ERROR "${SOURCE} (${DEFINES}) failed to compile, but not for the expected reason (/${REGEX}/"
                        "${FIRST_ERROR}):\n${err}")
  endif()
  message(STATUS "rejected, as expected: ${SOURCE}")
endif()
