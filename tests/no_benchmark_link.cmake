# cmake -P script run by the test common.no_google_benchmark (tests/common.cmake): the programs
# named in CLEAN do not link Google Benchmark, and CONTROL (a Google Benchmark binary) shows the
# same three checks do see it where it is:
#   1. the CMake link closure (every target and library the program links, computed at configure
#      time) names no benchmark:: target and no libbenchmark;
#   2. the binary has no NEEDED libbenchmark (readelf -d);
#   3. the binary holds no benchmark:: symbol, defined or undefined (nm -C), which also catches a
#      static copy.
# Check 1 is the one that sees the link line: this toolchain links with --as-needed, so a
# libbenchmark.so on the link line that no code uses leaves no NEEDED entry behind.
# Each program comes as -D<name>_FILE=<binary> -D<name>_LINKED=<closure, comma-separated>.
cmake_minimum_required(VERSION 3.25)

function(inspect name out_linked out_needed out_symbols)
  string(REPLACE "," ";" linked "${${name}_LINKED}")
  set(found_linked)
  foreach(item IN LISTS linked)
    if(item MATCHES "benchmark::" OR item MATCHES "libbenchmark")
      list(APPEND found_linked "${item}")
    endif()
  endforeach()
  execute_process(COMMAND ${READELF} -d ${${name}_FILE} OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "readelf -d ${${name}_FILE} failed (${rc})")
  endif()
  string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*" needed "${dynamic}")
  execute_process(COMMAND ${NM} -C ${${name}_FILE} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nm -C ${${name}_FILE} failed (${rc})")
  endif()
  string(REGEX MATCHALL "[^\n]*benchmark::[^\n]*" benchmark_symbols "${symbols}")
  set(${out_linked} "${found_linked}" PARENT_SCOPE)
  set(${out_needed} "${needed}" PARENT_SCOPE)
  set(${out_symbols} "${benchmark_symbols}" PARENT_SCOPE)
endfunction()

string(REPLACE "," ";" CLEAN "${CLEAN}")
set(failures)
# The control first: if the checks cannot see Google Benchmark in a binary that uses it, a clean
# result below would mean nothing.
inspect(${CONTROL} linked needed symbols)
if(NOT linked)
  list(APPEND failures "control ${CONTROL}: no benchmark:: target in its link closure (${${CONTROL}_LINKED})")
endif()
if(NOT needed)
  list(APPEND failures "control ${CONTROL}: readelf -d found no NEEDED entry at all")
endif()
if(NOT symbols)
  list(APPEND failures "control ${CONTROL}: nm -C found no benchmark:: symbol")
endif()

foreach(name IN LISTS CLEAN)
  inspect(${name} linked needed symbols)
  if(linked)
    list(APPEND failures "${name} links ${linked} (its link closure: ${${name}_LINKED})")
  endif()
  foreach(entry IN LISTS needed)
    if(entry MATCHES "libbenchmark")
      list(APPEND failures "${name}: ${entry}")
    endif()
  endforeach()
  if(symbols)
    list(GET symbols 0 first)
    list(LENGTH symbols count)
    list(APPEND failures "${name} holds ${count} benchmark:: symbols, e.g. ${first}")
  endif()
endforeach()

if(failures)
  list(JOIN failures "\n  " text)
  message(FATAL_ERROR "Google Benchmark where it should not be:\n  ${text}")
endif()
list(JOIN CLEAN " and " clean_text)
message(STATUS "${clean_text} do not link Google Benchmark; ${CONTROL} does, and the checks see it")
