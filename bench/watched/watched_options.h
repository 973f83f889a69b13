// watched_bench's command line.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pollbench::watched {

struct Options {
  std::vector<std::string> backends;  // of watcher_backends(), available here
  std::size_t max_watched = 100000;
  int cpu = 0;
  bool user_min_time = false;
  bool user_repetitions = false;
};

// Parses and removes watched_bench's own flags, leaving --benchmark_* ones in argv. Exits 0
// for --help and 2, naming the flag and its limit, for a bad one.
Options parse_options(int& argc, char** argv);

// The N swept: 1,000, 10,000, 20,000, 50,000, 100,000, 200,000, 500,000, 1,000,000 up to
// `max_watched`, and `max_watched` itself when it is not one of them.
std::vector<std::size_t> watched_points(std::size_t max_watched);

}  // namespace pollbench::watched
