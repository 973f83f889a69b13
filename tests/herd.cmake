# Tests of the thundering-herd work (issue 11): herd_bench and pollserver --threads/--accept.
#   herd.bench.cli / herd.bench.smoke   herd_bench's usage errors; a tiny real run of every mode
#                                       (names, counters, bounds; never timing)
#   herd.pollserver.<mode>              wrk -t1 -c100 -d2s against pollserver --threads 4
#                                       --accept <mode>: no errors anywhere (needs wrk: skip 77)
#   herd.PollerExclusive.*              Poller::add_exclusive on every backend (gtest; unit)
find_program(HERD_TEST_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(HERD_TEST_PYTHON NAMES python3)
set(herd_test_command ${HERD_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/herd_test.py
    --herd-bench $<TARGET_FILE:herd_bench> --pollserver $<TARGET_FILE:pollserver>
    --plot-script ${CMAKE_SOURCE_DIR}/scripts/pollbench_herd.py)
foreach(case cli smoke)
  add_test(NAME herd.bench.${case} COMMAND ${herd_test_command} bench_${case})
  set_tests_properties(herd.bench.${case} PROPERTIES LABELS herd TIMEOUT 120)
endforeach()
foreach(mode shared_epoll_lt shared_epoll_et epoll_per_thread epoll_exclusive reuseport)
  add_test(NAME herd.pollserver.${mode} COMMAND ${herd_test_command} pollserver ${mode})
  set_tests_properties(herd.pollserver.${mode} PROPERTIES LABELS "herd;tcp" TIMEOUT 60 SKIP_RETURN_CODE 77)
endforeach()

add_executable(herd_exclusive_test ${CMAKE_CURRENT_LIST_DIR}/herd_exclusive_test.cc)
target_link_libraries(herd_exclusive_test PRIVATE pollbench_server GTest::gtest_main)
gtest_discover_tests(herd_exclusive_test TEST_PREFIX herd. PROPERTIES LABELS unit TIMEOUT 60)
