// Google Benchmark (1.7) prints a bad --benchmark_filter regex's error and then runs nothing,
// exiting 0 as if all went well. The binaries check the filter first and refuse it as a usage
// error instead.
#pragma once

#include <string>

namespace pollbench {

// Empty when `filter` is a regex Google Benchmark accepts (an extended regex, optionally
// negated by a leading '-'); otherwise why not.
std::string benchmark_filter_error(const std::string& filter);

}  // namespace pollbench
