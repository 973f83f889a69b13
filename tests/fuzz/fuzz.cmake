# Fuzz targets for the two HTTP parsers (docs/fuzz.md). Included from tests/tcp.cmake.
#   fuzz.replay.http_request / http_response   the seed corpus and every crash input ever found,
#                                              fed to the same LLVMFuzzerTestOneInput by a
#                                              plain main (any compiler, any preset; unit)
# With -DPOLLBENCH_FUZZ=ON (the `fuzz` preset, clang) the same sources also build as libFuzzer
# programs, fuzz_http_request and fuzz_http_response, under ASan + UBSan.
option(POLLBENCH_FUZZ "Build the libFuzzer programs (needs clang: the fuzz preset)" OFF)
set(fuzz_dir ${CMAKE_CURRENT_LIST_DIR})
set(fuzz_http_request_sources ${fuzz_dir}/http_request_fuzz.cc ${CMAKE_SOURCE_DIR}/bench/tcp/http.cc)
set(fuzz_http_request_include ${CMAKE_SOURCE_DIR}/bench/tcp)
set(fuzz_http_response_sources ${fuzz_dir}/http_response_fuzz.cc ${CMAKE_SOURCE_DIR}/bench/loadgen/http_response.cc)
set(fuzz_http_response_include ${CMAKE_SOURCE_DIR}/bench/loadgen)

foreach(target http_request http_response)
  add_executable(fuzz_replay_${target} ${fuzz_dir}/replay_main.cc ${fuzz_${target}_sources})
  target_include_directories(fuzz_replay_${target} PRIVATE ${fuzz_${target}_include})
  add_test(NAME fuzz.replay.${target}
           COMMAND fuzz_replay_${target} ${fuzz_dir}/corpus/${target} ${fuzz_dir}/crashes/${target})
  set_tests_properties(fuzz.replay.${target} PROPERTIES LABELS unit TIMEOUT 60)

  if(POLLBENCH_FUZZ)
    add_executable(fuzz_${target} ${fuzz_${target}_sources})
    target_include_directories(fuzz_${target} PRIVATE ${fuzz_${target}_include})
    target_compile_options(fuzz_${target} PRIVATE -fsanitize=fuzzer,address,undefined
                           -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g)
    target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer,address,undefined)
  endif()
endforeach()
