// The median of repeated measurements and its distribution-free 95% interval from order
// statistics (the same rule as scripts/pollbench_stats.py: [x_(j), x_(n+1-j)] with the largest j
// whose binomial coverage reaches 95%; none below 6 samples).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace pollbench::probe {

struct Ranks {
  std::size_t lo;  // 1-based
  std::size_t hi;
  double coverage;
};

// The narrowest symmetric ranks reaching `confidence`, or nothing when n is too small.
std::optional<Ranks> median_ranks(std::size_t n, double confidence = 0.95);

// {"median", "lo", "hi", "coverage", "n", "samples"}; lo/hi/coverage are null below 6 samples.
nlohmann::json summarize(std::vector<double> samples);

}  // namespace pollbench::probe
