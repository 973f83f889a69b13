# A backend defined in one test source file, outside backends/, added to the list by its own
# BackendRegistration (backends/backend.h), and run through everything its traits select:
#   pollbench_test_backend(NAME SOURCE) links SOURCE into
#     conformance_<NAME>   the conformance suite, narrowed to that backend and the factory's own
#                          tests: ctest names test_backend.<NAME>.Conformance/...  (label unit)
#     test_backend_<NAME>/{backends_list,wait_bench,watched_bench,tcp_bench}
#                          the programs as built with it (in the build directory)
#   and adds test_backend.<NAME>.programs (tests/test_backend_test.py; label smoke): the backend in
#   backends_list --json, in wait, ctl, wakeup, raw and tcp, in the watched families exactly when
#   its interest set is the kernel's, and a tiny real wait_bench run of every family it is in.
# Adding a backend this way touches its source and the one call at the end of this file.
set(pollbench_test_dir ${CMAKE_CURRENT_LIST_DIR})
find_package(Python3 COMPONENTS Interpreter REQUIRED)

function(pollbench_test_backend name source)
  add_executable(conformance_${name} ${source})
  target_link_libraries(conformance_${name} PRIVATE conformance_objects)
  gtest_discover_tests(conformance_${name} TEST_PREFIX test_backend.${name}. TEST_FILTER "*/${name}*:PollerFactory.*"
                       PROPERTIES LABELS unit TIMEOUT 60)

  set(dir ${CMAKE_BINARY_DIR}/test_backend_${name})
  foreach(program backends_list wait_bench watched_bench)
    add_executable(${program}_${name} ${source})
    target_link_libraries(${program}_${name} PRIVATE ${program}_objects)
    set_target_properties(${program}_${name} PROPERTIES OUTPUT_NAME ${program} RUNTIME_OUTPUT_DIRECTORY ${dir})
  endforeach()
  # bench/tcp builds tcp_bench straight from its sources; its test build takes the same ones.
  set(tcp ${CMAKE_SOURCE_DIR}/bench/tcp)
  add_executable(tcp_bench_${name} ${tcp}/tcp_bench.cc ${tcp}/rig.cc ${tcp}/loadgen_process.cc ${source})
  target_link_libraries(tcp_bench_${name} PRIVATE pollbench_server pollbench_gbench_common)
  set_target_properties(tcp_bench_${name} PROPERTIES OUTPUT_NAME tcp_bench RUNTIME_OUTPUT_DIRECTORY ${dir})

  add_test(NAME test_backend.${name}.programs
           COMMAND ${Python3_EXECUTABLE} ${pollbench_test_dir}/test_backend_test.py ${dir} ${name})
  set_tests_properties(test_backend.${name}.programs PROPERTIES LABELS smoke TIMEOUT 120)
endfunction()

pollbench_test_backend(test_poll_copy ${pollbench_test_dir}/test_poll_copy_backend.cc)
