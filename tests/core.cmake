# The backend conformance suite: one contract over every backend, on real fds.
# Every test is its own ctest entry named after its backend, e.g.
# Conformance/PollerTest.TenThousandFdsFewReady/select or Conformance/PairTest.HangupWhenPeerCloses/epoll_et_tcp.
# The suite is an object library: tests/test_backend.cmake links it again with a backend of a
# test's own.
add_library(conformance_objects OBJECT
  ${CMAKE_CURRENT_LIST_DIR}/test_util.cc
  ${CMAKE_CURRENT_LIST_DIR}/conformance_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/conformance_scale_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/conformance_errors_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/conformance_fairness_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/conformance_halfclose_test.cc)
target_link_libraries(conformance_objects PUBLIC pollbench_bench_common pollbench_core GTest::gtest_main Threads::Threads)
add_executable(conformance_test)
target_link_libraries(conformance_test PRIVATE conformance_objects)
# A lost event fails a bounded wait within seconds; the timeout only catches a wait that hangs.
gtest_discover_tests(conformance_test PROPERTIES LABELS unit TIMEOUT 60)
