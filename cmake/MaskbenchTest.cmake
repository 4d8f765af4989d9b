# maskbench_add_test(NAME name SOURCES a_test.cc ... LIBS lib ... [LABELS l ...])
# Builds one GoogleTest executable and registers each of its tests with ctest.
# Every test gets MASKBENCH_SHARED_DIR and MASKBENCH_BUILD_DIR in its environment.
function(maskbench_add_test)
  if(NOT MASKBENCH_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  set_target_properties(${T_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  set(labels unit)
  if(T_LABELS)
    set(labels ${T_LABELS})
  endif()
  gtest_discover_tests(${T_NAME}
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${labels}"
    ENVIRONMENT "MASKBENCH_SHARED_DIR=${MASKBENCH_SHARED_DIR};MASKBENCH_BUILD_DIR=${CMAKE_BINARY_DIR};MASKBENCH_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()
