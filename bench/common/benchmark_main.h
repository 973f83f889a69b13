// The end of every Google Benchmark program's main(), once its own flags are parsed (the
// --benchmark_* ones checked by cli::Parser against benchmark_flags.h and left in argv) and
// its benchmarks registered: the filter checked against the registered names, then Google
// Benchmark initialised with the flags, run and shut down.
#pragma once

#include <string>

namespace pollbench {

enum class BenchmarkNames {
  promised,  // exactly the names the program registers (reporters.h drops Google Benchmark's suffixes)
  google,    // Google Benchmark's own reporters and names
};

// Returns main's exit status: 0, or 2 (with a message naming the flag) for a --benchmark_filter
// that matches none of the registered benchmarks, naming the nearest family, or for an
// argument Google Benchmark does not know.
int run_benchmarks(const std::string& program, int argc, char** argv, BenchmarkNames names);

// Adds the median cost of one clock read (timing.h) to the results' context as clock_read_ns.
void add_clock_read_context();

}  // namespace pollbench
