// wait_bench's own command line and the sweep it implies (which N, which fd kinds, which
// backends), kept apart from the families so that every family reads the same plan.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pollbench::wait {

struct Options {
  bool quick = false;
  std::vector<std::string> backends;  // available ones, in backends() order
  std::vector<std::string> fdkinds;   // in fd_kinds() order
  int cpu = -1;                       // the CPU the benchmark thread is pinned to
  std::size_t max_fds = 0;            // 0: as many as the fd limit allows
  // Set when the user passed the Google Benchmark flag, so the binary's defaults step aside.
  bool user_min_time = false;
  int user_repetitions = 0;  // the value of --benchmark_repetitions, 0 when not given
};

// Parses and removes wait_bench's own flags from argv, leaving --benchmark_* flags in place.
// Prints a message naming the problem and exits 2 on a bad flag or value; prints usage and
// exits 0 on --help.
Options parse_options(int& argc, char** argv);

// The sweep of N (watched fds): 1-2-5 steps (three points per decade, so a log-log plot is a
// curve), up to `largest`, which is itself included. Quick mode keeps one point per half decade.
std::vector<std::size_t> sweep_points(std::size_t largest, bool quick);

}  // namespace pollbench::wait
