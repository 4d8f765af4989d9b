# `cmake --install build [--prefix P]` (docs/first-submission.md, "The installed package"):
#   P/bin/maskbench                      -> ../lib/maskbench/maskbench
#   P/lib/maskbench/                     maskbench, maskbench-runner, submissions/ (the
#                                        references, the examples and the noop probe)
#   P/include/maskbench/                 accelerator.h, accelerator.hpp
#   P/lib/cmake/maskbench/               maskbenchConfig.cmake (+ version), exports.map
#   P/lib/pkgconfig/maskbench.pc
#   P/share/doc/maskbench/               the docs
#   P/lib/maskbench/rtl-kit/             the RTL kit: kit.json, glue, static libraries, headers
# The run-time data is found relative to the real executable (lib/maskbench/),
# so the tree can be moved whole.
include(CMakePackageConfigHelpers)
install(TARGETS maskbench maskbench-runner RUNTIME DESTINATION lib/maskbench)
install(CODE "
  file(MAKE_DIRECTORY \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/bin\")
  file(CREATE_LINK ../lib/maskbench/maskbench \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/bin/maskbench\" SYMBOLIC)
")
foreach(sub reference-baseline reference-fp32 int8-fast systolic-16x16)
  install(DIRECTORY "${CMAKE_BINARY_DIR}/submissions/${sub}" DESTINATION lib/maskbench/submissions
          USE_SOURCE_PERMISSIONS)
endforeach()
install(DIRECTORY "${CMAKE_BINARY_DIR}/submissions/testing/noop"
        DESTINATION lib/maskbench/submissions/testing USE_SOURCE_PERMISSIONS)
install(FILES harness/abi/include/maskbench/accelerator.h harness/abi/include/maskbench/accelerator.hpp
        DESTINATION include/maskbench)
configure_file(cmake/package/maskbenchConfig.cmake.in
               "${CMAKE_BINARY_DIR}/package/maskbenchConfig.cmake" @ONLY)
write_basic_package_version_file("${CMAKE_BINARY_DIR}/package/maskbenchConfigVersion.cmake"
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/package/maskbenchConfig.cmake"
              "${CMAKE_BINARY_DIR}/package/maskbenchConfigVersion.cmake"
              submissions/template/exports.map
        DESTINATION lib/cmake/maskbench)
install(CODE "
  set(PROJECT_VERSION ${PROJECT_VERSION})
  set(CMAKE_INSTALL_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_SOURCE_DIR}/cmake/package/maskbench.pc.in\"
                 \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/pkgconfig/maskbench.pc\" @ONLY)
")
install(DIRECTORY docs/ DESTINATION share/doc/maskbench)
# The RTL kit (docs/rtl.md, "The kit"): what `maskbench build` links a design
# with, found by maskbench beside itself; and the example design that
# `maskbench new --kind rtl` starts from.
set(kit lib/maskbench/rtl-kit)
install(FILES "${CMAKE_BINARY_DIR}/rtl-kit/kit-install.json" DESTINATION ${kit} RENAME kit.json)
install(FILES "$<TARGET_FILE:maskbench_rtl>" "$<TARGET_FILE:maskbench_reference>"
              "$<TARGET_FILE:maskbench_core>" DESTINATION ${kit}/lib)
install(FILES rtl/kit/verilated_npu.cc rtl/kit/exports.map reference/model/refnet-int8.json
        DESTINATION ${kit})
foreach(inc rtl/include reference/include core/include harness/abi/include)
  install(DIRECTORY ${inc}/ DESTINATION ${kit}/include)
endforeach()
install(FILES submissions/rtl-npu/submission.json DESTINATION lib/maskbench/submissions/rtl-npu)
install(DIRECTORY submissions/rtl-npu/rtl DESTINATION lib/maskbench/submissions/rtl-npu)
