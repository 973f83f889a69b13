# wait_bench smoke test: tiny N, minimal time; checks names, counters and aggregates (no timing).
# tests/wait_slope.py is run by hand on a real result, never here: timing must not gate tests.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
if(TARGET wait_bench)
  add_test(NAME wait_bench_smoke
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/wait_smoke_test.py
                   $<TARGET_FILE:wait_bench> ${CMAKE_CURRENT_BINARY_DIR}/wait_smoke)
  set_tests_properties(wait_bench_smoke PROPERTIES LABELS smoke TIMEOUT 120)
endif()

# The dup control (fd kind dup, the per-fd cost's control): its pool, through every backend, and
# its points in wait_bench (names, pairing with socketpair, no errors, not in other sweeps).
if(TARGET wait_bench)
  add_executable(wait_dup_pool_test ${CMAKE_CURRENT_LIST_DIR}/wait_dup_pool_test.cc
                 ${CMAKE_SOURCE_DIR}/bench/wait/fd_pool.cc ${CMAKE_SOURCE_DIR}/bench/wait/registered_poller.cc)
  target_include_directories(wait_dup_pool_test PRIVATE ${CMAKE_SOURCE_DIR}/bench/wait)
  target_link_libraries(wait_dup_pool_test PRIVATE pollbench_bench_common pollbench_core GTest::gtest_main)
  gtest_discover_tests(wait_dup_pool_test PROPERTIES LABELS unit TIMEOUT 60)
  add_test(NAME wait_dup_smoke
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/wait_dup_test.py $<TARGET_FILE:wait_bench>)
  set_tests_properties(wait_dup_smoke PROPERTIES LABELS smoke TIMEOUT 120)
endif()
