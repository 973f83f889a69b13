// The rulebook of Google Benchmark's own flags (--benchmark_* and --v). Google Benchmark 1.7
// checks little: --benchmark_repetitions=-1 aborts in vector::reserve, an unknown
// --benchmark_out_format prints its usage and exits 0, --benchmark_min_time=-5 is taken, and a
// filter that matches nothing runs nothing and exits 0. So every program that passes these
// flags through (cli::Parser::pass_benchmark_flags) checks each one here first, and refuses a
// bad one as a usage error naming the flag and what it takes; the filter is checked against
// the registered benchmarks when they are known (benchmark_main.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace pollbench {

// Empty when `arg` ("--benchmark_repetitions=3", "--v=1", ...) obeys the rules; otherwise
// the message, naming the flag and what it takes.
std::string benchmark_flag_error(const std::string& arg);

// Every flag and what it takes, in --help's order: ("--benchmark_repetitions=N", "1 to 1000 ...").
const std::vector<std::pair<std::string, std::string>>& benchmark_flag_rules();

// The Google Benchmark flags in `args` a program sets per family unless the user does.
struct UserBenchmarkFlags {
  bool min_time = false;
  int repetitions = 0;  // 0: not given
};
UserBenchmarkFlags user_benchmark_flags(const std::vector<std::string>& args);

}  // namespace pollbench
