# Tests of bench/loadgen; `ctest -R '^loadgen\.'` runs them all.
#   loadgen.<Suite>.<Test>  the parser, command line, address planning (gtest; label unit)
#   loadgen.cli.*           loadgen's command line and error messages end to end (label unit:
#                           fast, no server but a refused port, no timing)
#   loadgen.run.*           loadgen against tests/loadgen_test_server, which can misbehave on
#                           purpose (label integration)
#   loadgen.multi.*         scripts/multi_load.sh: three agents, merged (label integration)
add_executable(loadgen_unit_test ${CMAKE_CURRENT_LIST_DIR}/loadgen_unit_test.cc)
# pollbench_server for its statistics JSON (bench/tcp/server_stats.cc), tested beside loadgen's.
target_link_libraries(loadgen_unit_test PRIVATE loadgen_lib pollbench_server GTest::gtest_main)
gtest_discover_tests(loadgen_unit_test TEST_PREFIX loadgen. PROPERTIES LABELS unit)

# loadgen merge: a run split into parts merges back exactly; mismatched reports are refused.
add_executable(loadgen_merge_test ${CMAKE_CURRENT_LIST_DIR}/loadgen_merge_test.cc)
target_link_libraries(loadgen_merge_test PRIVATE loadgen_lib GTest::gtest_main)
gtest_discover_tests(loadgen_merge_test TEST_PREFIX loadgen. PROPERTIES LABELS unit)

add_executable(loadgen_test_server ${CMAKE_CURRENT_LIST_DIR}/loadgen_test_server.cc)

# Standard library only, so any Python 3 will do; prefer Debian's.
find_program(LOADGEN_TEST_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(LOADGEN_TEST_PYTHON NAMES python3)
set(loadgen_test_command ${LOADGEN_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/loadgen_cli_test.py
    --loadgen $<TARGET_FILE:loadgen> --server $<TARGET_FILE:loadgen_test_server>)

foreach(case help bad_args remote_refused fd_limit refused)
  add_test(NAME loadgen.cli.${case} COMMAND ${loadgen_test_command} ${case})
  set_tests_properties(loadgen.cli.${case} PROPERTIES LABELS "unit;loadgen" TIMEOUT 60)
endforeach()

foreach(case clean ipv6 pipeline chunked threads_sources open_loop coordinated_omission reset bad_response
             bad_status interim_continue merge_cli idle_closed sigint random_bytes long_header reconnect_backoff connect_timeout)
  add_test(NAME loadgen.run.${case} COMMAND ${loadgen_test_command} ${case})
  set_tests_properties(loadgen.run.${case} PROPERTIES LABELS "integration;loadgen" TIMEOUT 60 SKIP_RETURN_CODE 77)
endforeach()
# loadgen against pollserver on every backend, and across network namespaces, are in tests/tcp.cmake.

# scripts/multi_load.sh: three agents merged exactly. `netns` runs them in three client network
# namespaces against pollserver in a fourth (skipped where namespaces cannot be made), `local`
# on loopback anywhere, `killed` SIGKILLs the netns test and finds nothing of it left.
foreach(case netns local killed)
  add_test(NAME loadgen.multi.${case}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/loadgen_multi_test.sh $<TARGET_FILE:pollserver> $<TARGET_FILE:loadgen>
                   ${PROJECT_SOURCE_DIR}/scripts/multi_load.sh ${LOADGEN_TEST_PYTHON}
                   ${CMAKE_CURRENT_LIST_DIR}/loadgen_multi_check.py ${case})
  set_tests_properties(loadgen.multi.${case} PROPERTIES LABELS "integration;loadgen" TIMEOUT 60 SKIP_RETURN_CODE 77)
endforeach()
