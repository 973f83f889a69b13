# Tests of scripts/: plots, report, compare and bench.sh, on the committed fixture
# (tests/scripts/fixture, a real short run; see its README). Label `scripts`: they run in the
# release build only (they test Python and shell, not the sanitized C++).
set(POLLBENCH_SCRIPT_TESTS plot plot_bounds report report_sections report_precision report_without_tcp report_numbers compare compare_probes fleet
    bad_json bench_cli python_units
    stop_term stop_int stop_background stop_kill kill_build)
foreach(case IN LISTS POLLBENCH_SCRIPT_TESTS)
  add_test(NAME scripts.${case}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/scripts/check_scripts.sh ${case})
  set_tests_properties(scripts.${case} PROPERTIES LABELS scripts TIMEOUT 180)
endforeach()

# bench.sh end to end, with the binaries of this build: a tiny run, a failing step, a timeout.
if(TARGET wait_bench AND TARGET tcp_bench)
  foreach(case bench_run bench_precision bench_step_fails bench_timeout kill_tcp)
    add_test(NAME scripts.${case}
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/scripts/check_scripts.sh ${case} ${CMAKE_BINARY_DIR}/bin)
    set_tests_properties(scripts.${case} PROPERTIES LABELS scripts TIMEOUT 180 RUN_SERIAL TRUE)
  endforeach()
endif()

# The sampling statistics (scripts/pollbench_stats.py) and the sampler (scripts/pollbench_sample.py,
# against a fake wait_bench): standard library only, so any Python 3.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
add_test(NAME scripts.stats COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/scripts/test_stats.py)
set_tests_properties(scripts.stats PROPERTIES LABELS scripts TIMEOUT 120)
add_test(NAME scripts.sample COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/scripts/test_sample.py)
set_tests_properties(scripts.sample PROPERTIES LABELS scripts TIMEOUT 120)
