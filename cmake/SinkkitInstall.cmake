# Installs the kit as a CMake package: find_package(sinkkit CONFIG) gives
# sinkkit::kit and sinkkit::reference_sinks, for the install tree and (via
# export()) for the build tree.
include(CMakePackageConfigHelpers)

set(SINKKIT_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/sinkkit)

set(sinkkit_installed_targets sinkkit_kit sinkkit_faults sinkkit_reference_sinks sinkkit_reports
    ${sinkkit_variant_targets})  # the sanitizer variants (kit/CMakeLists.txt), for SANITIZE twins
if(TARGET sinkkit_gtest)
  list(APPEND sinkkit_installed_targets sinkkit_gtest)
endif()
install(TARGETS ${sinkkit_installed_targets} EXPORT sinkkitTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY kit/include/ reference-sinks/memory/include/ reference-sinks/file/include/
                  reference-sinks/sqlite/include/ reports/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
install(EXPORT sinkkitTargets NAMESPACE sinkkit:: DESTINATION ${SINKKIT_CMAKE_INSTALL_DIR})
export(EXPORT sinkkitTargets NAMESPACE sinkkit:: FILE ${PROJECT_BINARY_DIR}/sinkkitTargets.cmake)

configure_package_config_file(cmake/sinkkitConfig.cmake.in ${PROJECT_BINARY_DIR}/sinkkitConfig.cmake
                              INSTALL_DESTINATION ${SINKKIT_CMAKE_INSTALL_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sinkkitConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sinkkitConfig.cmake ${PROJECT_BINARY_DIR}/sinkkitConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/SinkkitConformance.cmake
        DESTINATION ${SINKKIT_CMAKE_INSTALL_DIR})
# The build tree is a package too (find_package with sinkkit_DIR=<build>): the
# sanitizer build's twin test uses it without installing.
configure_file(${PROJECT_SOURCE_DIR}/cmake/SinkkitConformance.cmake ${PROJECT_BINARY_DIR}/SinkkitConformance.cmake COPYONLY)

# The Python adapter (sinkkit_adapter, standard library only), where the
# installed prefix's python3 finds it: Debian's python3 reads
# <prefix>/lib/python3/dist-packages for /usr and
# <prefix>/lib/python3.X/dist-packages for /usr/local; other prefixes add
# that folder to PYTHONPATH (docs/python.md). A dist-info beside it carries
# the pytest plugin's entry point, so pytest loads it by itself.
if(NOT DEFINED SINKKIT_PYTHON_INSTALL_DIR)
  set(sinkkit_python /usr/bin/python3)
  if(Python3_EXECUTABLE)
    set(sinkkit_python ${Python3_EXECUTABLE})
  endif()
  execute_process(COMMAND ${sinkkit_python} -c "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"
                  OUTPUT_VARIABLE sinkkit_python_version OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT sinkkit_python_version)
    set(sinkkit_python_version 3)
  endif()
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(SINKKIT_PYTHON_INSTALL_DIR lib/python3/dist-packages)
  else()
    set(SINKKIT_PYTHON_INSTALL_DIR lib/python${sinkkit_python_version}/dist-packages)
  endif()
endif()
set(SINKKIT_PYTHON_INSTALL_DIR ${SINKKIT_PYTHON_INSTALL_DIR} CACHE STRING
    "Where the Python adapter is installed, relative to the prefix")
install(DIRECTORY adapters/python/sinkkit_adapter DESTINATION ${SINKKIT_PYTHON_INSTALL_DIR}
        FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
file(WRITE ${PROJECT_BINARY_DIR}/python-dist-info/METADATA
     "Metadata-Version: 2.1\nName: sinkkit-adapter\nVersion: ${PROJECT_VERSION}\n"
     "Summary: sinkkit's adapter: loom sink nodes served over the sinkkit wire protocol\n")
file(WRITE ${PROJECT_BINARY_DIR}/python-dist-info/entry_points.txt
     "[pytest11]\nsinkkit = sinkkit_adapter.pytest_plugin\n")
install(FILES ${PROJECT_BINARY_DIR}/python-dist-info/METADATA ${PROJECT_BINARY_DIR}/python-dist-info/entry_points.txt
        DESTINATION ${SINKKIT_PYTHON_INSTALL_DIR}/sinkkit_adapter-${PROJECT_VERSION}.dist-info)
