// Google Benchmark appends "/min_time:0.050/repeats:5/manual_time" (or "/iterations:1/...") to
// the name of a benchmark that sets those per family, which every family of wait_bench,
// watched_bench and herd_bench does. The names this suite promises are exactly
// wait/<backend>/<fdkind>/fds:N/active:A (and the like), so both reporters drop those parts:
// every result there is manual time, and repetitions and min time are in the JSON fields and
// the context anyway. benchmark_main.h makes them (BenchmarkNames::promised).
#pragma once

#include <benchmark/benchmark.h>

#include <memory>

namespace pollbench {

// The reporters Google Benchmark would make for --benchmark_format / --benchmark_out_format
// (read from argv, before Initialize consumes them), wrapped to print the promised names.
// The file reporter is null without --benchmark_out, as RunSpecifiedBenchmarks requires.
struct Reporters {
  std::unique_ptr<benchmark::BenchmarkReporter> display;
  std::unique_ptr<benchmark::BenchmarkReporter> file;
};
Reporters make_reporters(int argc, char** argv);

}  // namespace pollbench
