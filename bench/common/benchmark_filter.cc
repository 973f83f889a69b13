#include "benchmark_filter.h"

#include <regex>

namespace pollbench {

std::string benchmark_filter_error(const std::string& filter) {
  // The same engine and grammar as Google Benchmark's own Regex (std::regex, extended).
  const std::string spec = !filter.empty() && filter[0] == '-' ? filter.substr(1) : filter;
  try {
    std::regex(spec, std::regex_constants::extended);
  } catch (const std::regex_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace pollbench
