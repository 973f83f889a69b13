# Tests of bench/tcp: the HTTP parser, the server core, pollserver, tcp_bench, across hosts.
#   tcp.HttpParse.* / tcp.HttpResponses.*   the request parser and answers (gtest; unit)
#   tcp.Backends/ServerTest.*               the server core on every backend, in-process:
#                                           keep-alive, partial, pipelined, backpressure,
#                                           malformed, oversized, reset, half-closed, no fd leak,
#                                           RFC 9110/9112 conformance cases, HEAD, 100-continue,
#                                           header / idle timeouts, eviction and the accept
#                                           pause at the fd limit
#                                           (gtest; unit: runs under ASan + UBSan too)
#   tcp.pollserver.cli                      pollserver's usage errors exit 2, --help (unit)
#   tcp.pollserver.<backend>                loadgen (1000 idle + 10 active, 1 s) against pollserver:
#                                           no errors, counts agree, fds back to baseline; the
#                                           protocol cases against the real binary (label tcp)
#   tcp.pollserver.fd_limit / ipv6          shedding at the fd limit; listening on ::1 (label tcp)
#   tcp.bench.cli / tcp.bench.smoke         tcp_bench's flags; one short real run (label tcp)
#   tcp.limits.fd_limit_threads.<mode>     pollserver --threads 4 --accept <mode> at 64 fds: no spin
#                                           while full, connections shed, fds back (label tcp)
#   tcp.limits.slowloris / memory / curl_head / cli
#                                           a slow crowd cannot lock a client out; memory given
#                                           back; curl -I twice; --help=1, ::ffff:127.0.0.1,
#                                           --exit-with-parent (tests/tcp_limits_test.py; tcp)
#   tcp.soak.cli                            soak.sh and hostile_clients.py refuse bad arguments (tcp)
#   fuzz.replay.http_request / http_response the fuzz corpora and crash inputs (tests/fuzz; unit)
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

# tcp.pollserver.<backend>, one per backend `backends_list` prints, found when ctest reads its
# test files (as gtest_discover_tests finds tests), so no list of backend names is kept here.
set(tcp_backend_tests ${CMAKE_CURRENT_BINARY_DIR}/tcp_backend_tests.cmake)
set(tcp_backend_command)
foreach(arg IN LISTS tcp_test_command)
  string(APPEND tcp_backend_command " [==[${arg}]==]")
endforeach()
file(GENERATE OUTPUT ${tcp_backend_tests} CONTENT "\
execute_process(COMMAND [==[$<TARGET_FILE:backends_list>]==] OUTPUT_VARIABLE listed RESULT_VARIABLE rc)
string(REGEX MATCHALL \"[A-Za-z0-9_]+: (available|unavailable)\" names \"\${listed}\")
if(NOT rc EQUAL 0 OR NOT names)
  add_test(tcp.pollserver.backends_list_failed [==[$<TARGET_FILE:backends_list>]==])
endif()
foreach(name IN LISTS names)
  string(REGEX REPLACE \":.*\" \"\" backend \"\${name}\")
  add_test(tcp.pollserver.\${backend}${tcp_backend_command} load \${backend})
  set_tests_properties(tcp.pollserver.\${backend} PROPERTIES LABELS tcp TIMEOUT 90 SKIP_RETURN_CODE 77)
endforeach()
")
set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${tcp_backend_tests})
foreach(case fd_limit ipv6)
  add_test(NAME tcp.pollserver.${case} COMMAND ${tcp_test_command} ${case})
  set_tests_properties(tcp.pollserver.${case} PROPERTIES LABELS tcp TIMEOUT 60 SKIP_RETURN_CODE 77)
endforeach()
foreach(case cli smoke)
  add_test(NAME tcp.bench.${case} COMMAND ${tcp_test_command} bench_${case})
  set_tests_properties(tcp.bench.${case} PROPERTIES LABELS tcp TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()

# pollserver at its limits (tests/tcp_limits_test.py). The accept modes are pollserver's own
# (its --help lists them); curl is optional, the curl case skips without it.
find_program(TCP_TEST_CURL NAMES curl)
set(tcp_limits_command ${TCP_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/tcp_limits_test.py --pollserver $<TARGET_FILE:pollserver>)
if(TCP_TEST_CURL)
  list(APPEND tcp_limits_command --curl ${TCP_TEST_CURL})
endif()
foreach(mode shared_epoll_lt shared_epoll_et epoll_per_thread epoll_exclusive reuseport)
  add_test(NAME tcp.limits.fd_limit_threads.${mode} COMMAND ${tcp_limits_command} fd_limit_threads ${mode})
  set_tests_properties(tcp.limits.fd_limit_threads.${mode} PROPERTIES LABELS tcp TIMEOUT 60 SKIP_RETURN_CODE 77)
endforeach()
foreach(case slowloris memory curl_head cli)
  add_test(NAME tcp.limits.${case} COMMAND ${tcp_limits_command} ${case})
  set_tests_properties(tcp.limits.${case} PROPERTIES LABELS tcp TIMEOUT 60 SKIP_RETURN_CODE 77)
endforeach()

add_test(NAME tcp.netns COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/tcp_netns_test.sh
         $<TARGET_FILE:pollserver> $<TARGET_FILE:loadgen> ${TCP_TEST_PYTHON})
set_tests_properties(tcp.netns PROPERTIES LABELS tcp TIMEOUT 60 SKIP_RETURN_CODE 77)

# libFuzzer targets for the request parser (and loadgen's response parser), and their replay.
include(${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz.cmake)

# The hostile soak's command lines (the soak itself takes minutes: scripts/soak.sh, by hand).
add_test(NAME tcp.soak.cli COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/tcp_soak_cli_test.sh ${TCP_TEST_PYTHON})
set_tests_properties(tcp.soak.cli PROPERTIES LABELS tcp TIMEOUT 30)
