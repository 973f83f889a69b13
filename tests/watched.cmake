# watched_bench smoke test: 25,000 watched sockets (above the fd limit), names, counters, the
# refusals (bad options, too little memory, too many files). No timing is checked.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
if(TARGET watched_bench)
  add_test(NAME watched_bench_smoke
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/watched_smoke_test.py
                   $<TARGET_FILE:watched_bench> ${CMAKE_CURRENT_BINARY_DIR}/watched_smoke)
  set_tests_properties(watched_bench_smoke PROPERTIES LABELS smoke TIMEOUT 240)
endif()
