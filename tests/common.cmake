# Unit tests of bench/common: the latency histogram.
add_executable(histogram_test ${CMAKE_CURRENT_LIST_DIR}/histogram_test.cc)
target_link_libraries(histogram_test PRIVATE pollbench_bench_common GTest::gtest_main)
gtest_discover_tests(histogram_test PROPERTIES LABELS unit)

# Benchmark binaries die with their parent: each started under a parent that is SIGKILLed.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
if(TARGET wait_bench AND TARGET tcp_bench AND TARGET loadgen AND TARGET pollserver)
  add_test(NAME common.parent_death
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/parent_death_test.py
                   $<TARGET_FILE:wait_bench> $<TARGET_FILE:tcp_bench> $<TARGET_FILE:loadgen> $<TARGET_FILE:pollserver>)
  set_tests_properties(common.parent_death PROPERTIES LABELS smoke TIMEOUT 60)
endif()

# loadgen and pollserver are not Google Benchmark programs and do not link it (issue 12): not in
# their CMake link closure, not as a NEEDED library, not as a symbol (tests/no_benchmark_link.cmake).
# The closure is read here, at configure time, from the targets' link properties.
function(pollbench_link_closure target out)
  set(seen)
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue item)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" item "${item}")
    if(item IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${item})
    if(NOT TARGET ${item})
      continue()
    endif()
    foreach(property LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
      get_target_property(libraries ${item} ${property})
      if(libraries)
        list(APPEND queue ${libraries})
      endif()
    endforeach()
  endwhile()
  list(JOIN seen "," joined)
  set(${out} "${joined}" PARENT_SCOPE)
endfunction()
if(TARGET loadgen AND TARGET pollserver AND TARGET wait_bench)
  set(no_benchmark_args)
  foreach(program loadgen pollserver wait_bench)
    pollbench_link_closure(${program} linked)
    list(APPEND no_benchmark_args -D${program}_FILE=$<TARGET_FILE:${program}> "-D${program}_LINKED=${linked}")
  endforeach()
  add_test(NAME common.no_google_benchmark
           COMMAND ${CMAKE_COMMAND} -DREADELF=${CMAKE_READELF} -DNM=${CMAKE_NM} -DCLEAN=loadgen,pollserver
                   -DCONTROL=wait_bench ${no_benchmark_args} -P ${CMAKE_CURRENT_LIST_DIR}/no_benchmark_link.cmake)
  set_tests_properties(common.no_google_benchmark PROPERTIES LABELS build TIMEOUT 60)
endif()

# The shared command-line parser (bench/common/cli.h).
add_executable(cli_unit_test ${CMAKE_CURRENT_LIST_DIR}/cli_unit_test.cc)
target_link_libraries(cli_unit_test PRIVATE pollbench_cli GTest::gtest_main)
gtest_discover_tests(cli_unit_test PROPERTIES LABELS unit)

# Every program's --help layout and usage errors, one table (tests/cli_test.py). common.cli
# (label unit, so under the sanitizers too) takes the programs the other unit tests run anyway;
# common.cli_bench the benchmark programs, which the sanitizer preset is spared from building
# (scripts/test.sh builds only what the unit tests run).
if(TARGET wait_bench AND TARGET loadgen AND TARGET pollserver AND TARGET tcp_bench AND TARGET herd_bench
   AND TARGET watched_bench AND TARGET backends_list)
  add_test(NAME common.cli
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/cli_test.py
                   $<TARGET_FILE:loadgen> $<TARGET_FILE:pollserver> $<TARGET_FILE:tcp_bench>)
  set_tests_properties(common.cli PROPERTIES LABELS unit TIMEOUT 120)
  add_test(NAME common.cli_bench
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/cli_test.py $<TARGET_FILE:wait_bench>
                   $<TARGET_FILE:herd_bench> $<TARGET_FILE:watched_bench> $<TARGET_FILE:backends_list>)
  set_tests_properties(common.cli_bench PROPERTIES LABELS smoke TIMEOUT 120)
endif()

# The README's commands, links, dependency list and test labels are true (tests/readme_test.py).
if(TARGET wait_bench AND TARGET pollserver AND TARGET loadgen)
  add_test(NAME common.readme
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/readme_test.py ${PROJECT_SOURCE_DIR}
                   $<TARGET_FILE_DIR:wait_bench> ${PROJECT_BINARY_DIR})
  set_tests_properties(common.readme PROPERTIES LABELS scripts TIMEOUT 120)
endif()
