# Tests of bench/tcp: the HTTP parser, the server core, pollserver, tcp_bench, across hosts.
#   tcp.HttpParse.* / tcp.HttpResponses.*   the request parser and answers (gtest; unit)
#   tcp.Backends/ServerTest.*               the server core on every backend, in-process:
#                                           keep-alive, partial, pipelined, backpressure,
#                                           malformed, oversized, reset, half-closed, no fd leak
#                                           (gtest; unit: runs under ASan + UBSan too)
#   tcp.pollserver.cli                      pollserver's usage errors exit 2, --help (unit)
#   tcp.pollserver.<backend>                loadgen (1000 idle + 10 active, 1 s) against pollserver:
#                                           no errors, counts agree, fds back to baseline; the
#                                           protocol cases against the real binary (label tcp)
#   tcp.pollserver.fd_limit / ipv6          shedding at the fd limit; listening on ::1 (label tcp)
#   tcp.bench.cli / tcp.bench.smoke         tcp_bench's flags; one short real run (label tcp)
#   tcp.netns                               pollserver and loadgen in two network namespaces
#                                           joined by a veth pair; skipped where not allowed (tcp)
add_executable(tcp_http_test ${CMAKE_CURRENT_LIST_DIR}/tcp_http_test.cc)
target_link_libraries(tcp_http_test PRIVATE pollbench_server GTest::gtest_main)
gtest_discover_tests(tcp_http_test TEST_PREFIX tcp. PROPERTIES LABELS unit)

add_executable(tcp_server_test ${CMAKE_CURRENT_LIST_DIR}/tcp_server_test.cc)
target_link_libraries(tcp_server_test PRIVATE pollbench_server GTest::gtest_main)
gtest_discover_tests(tcp_server_test TEST_PREFIX tcp. PROPERTIES LABELS unit TIMEOUT 60)

# Standard library only, so any Python 3 will do; prefer Debian's.
find_program(TCP_TEST_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(TCP_TEST_PYTHON NAMES python3)
set(tcp_loadgen_arg)
if(TARGET loadgen OR EXISTS ${CMAKE_SOURCE_DIR}/bench/loadgen/CMakeLists.txt)
  set(tcp_loadgen_arg --loadgen $<TARGET_FILE:loadgen>)
endif()
set(tcp_test_command ${TCP_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/tcp_pollserver_test.py
    --pollserver $<TARGET_FILE:pollserver> --tcp-bench $<TARGET_FILE:tcp_bench> ${tcp_loadgen_arg})

add_test(NAME tcp.pollserver.cli COMMAND ${tcp_test_command} cli)
set_tests_properties(tcp.pollserver.cli PROPERTIES LABELS "unit;tcp" TIMEOUT 60)

foreach(backend select poll epoll_lt epoll_et io_uring io_uring_plain)
  add_test(NAME tcp.pollserver.${backend} COMMAND ${tcp_test_command} load ${backend})
  set_tests_properties(tcp.pollserver.${backend} PROPERTIES LABELS tcp TIMEOUT 90 SKIP_RETURN_CODE 77)
endforeach()
foreach(case fd_limit ipv6)
  add_test(NAME tcp.pollserver.${case} COMMAND ${tcp_test_command} ${case})
  set_tests_properties(tcp.pollserver.${case} PROPERTIES LABELS tcp TIMEOUT 60 SKIP_RETURN_CODE 77)
endforeach()
foreach(case cli smoke)
  add_test(NAME tcp.bench.${case} COMMAND ${tcp_test_command} bench_${case})
  set_tests_properties(tcp.bench.${case} PROPERTIES LABELS tcp TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()

add_test(NAME tcp.netns COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/tcp_netns_test.sh
         $<TARGET_FILE:pollserver> $<TARGET_FILE:loadgen> ${TCP_TEST_PYTHON})
set_tests_properties(tcp.netns PROPERTIES LABELS tcp TIMEOUT 60 SKIP_RETURN_CODE 77)
