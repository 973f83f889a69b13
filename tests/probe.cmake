# machine_probe: a --quick run checked for its JSON shape and figures, its fd-limit cap, and its
# command line (help, usage errors exit 2). Label smoke: it measures, briefly.
if(TARGET machine_probe)
  find_package(Python3 COMPONENTS Interpreter REQUIRED)
  add_test(NAME probe.smoke
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/probe_test.py $<TARGET_FILE:machine_probe>)
  set_tests_properties(probe.smoke PROPERTIES LABELS smoke TIMEOUT 120)
endif()
