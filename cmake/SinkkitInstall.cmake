# Installs the kit as a CMake package: find_package(sinkkit CONFIG) gives
# sinkkit::kit and sinkkit::reference_sinks, for the install tree and (via
# export()) for the build tree.
include(CMakePackageConfigHelpers)

set(SINKKIT_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/sinkkit)

set(sinkkit_installed_targets sinkkit_kit sinkkit_faults sinkkit_reference_sinks sinkkit_reports)
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
