# wait_bench smoke test: tiny N, minimal time; checks names, counters and aggregates (no timing).
# tests/wait_slope.py is run by hand on a real result, never here: timing must not gate tests.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
if(TARGET wait_bench)
  add_test(NAME wait_bench_smoke
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/wait_smoke_test.py
                   $<TARGET_FILE:wait_bench> ${CMAKE_CURRENT_BINARY_DIR}/wait_smoke)
  set_tests_properties(wait_bench_smoke PROPERTIES LABELS smoke TIMEOUT 120)
endif()
