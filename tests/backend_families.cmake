# backend.families: every backend backends_list lists appears in every benchmark family that
# covers it (from --benchmark_list_tests; nothing is measured). See the test's docstring.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
add_test(NAME backend.families
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/backend_families_test.py
                 $<TARGET_FILE_DIR:backends_list>)
set_tests_properties(backend.families PROPERTIES LABELS smoke TIMEOUT 120)
