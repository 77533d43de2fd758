# sinkkit_set_warnings(<target>): the warning set for sinkkit's own code.
# Third-party headers come in as SYSTEM includes through their imported
# targets, so these flags judge only our code.
function(sinkkit_set_warnings target)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    return()
  endif()
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast
                                           # GCC 12 flags designated initialisers that leave members at
                                           # their defaults ({.seed = 7}), the options style of this API;
                                           # GCC 13 no longer does.
                                           -Wno-missing-field-initializers)
  if(SINKKIT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
