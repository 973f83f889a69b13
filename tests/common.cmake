# Unit tests of bench/common: the latency histogram.
add_executable(histogram_test ${CMAKE_CURRENT_LIST_DIR}/histogram_test.cc)
target_link_libraries(histogram_test PRIVATE pollbench_bench_common GTest::gtest_main)
gtest_discover_tests(histogram_test PROPERTIES LABELS unit)
