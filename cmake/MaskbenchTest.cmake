# maskbench_add_test(NAME name SOURCES a_test.cc ... LIBS lib ... [LABELS l ...])
# Builds one GoogleTest executable and registers each of its tests with ctest.
# Every test process sees MASKBENCH_SHARED_DIR, MASKBENCH_BUILD_DIR and MASKBENCH_SOURCE_DIR
# (cmake/test_env.cc sets them unless the environment already does).
function(maskbench_add_test)
  if(NOT MASKBENCH_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES} ${PROJECT_SOURCE_DIR}/cmake/test_env.cc)
  set_source_files_properties(${PROJECT_SOURCE_DIR}/cmake/test_env.cc TARGET_DIRECTORY ${T_NAME} PROPERTIES
    COMPILE_DEFINITIONS "MASKBENCH_TEST_SHARED_DIR=\"${MASKBENCH_SHARED_DIR}\";MASKBENCH_TEST_BUILD_DIR=\"${CMAKE_BINARY_DIR}\";MASKBENCH_TEST_SOURCE_DIR=\"${CMAKE_SOURCE_DIR}\"")
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  maskbench_sanitize(${T_NAME})
  set_target_properties(${T_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  set(labels unit)
  if(T_LABELS)
    set(labels ${T_LABELS})
  endif()
  gtest_discover_tests(${T_NAME}
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${labels}")
endfunction()
