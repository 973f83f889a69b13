#include "summary.h"

#include <algorithm>
#include <cmath>

namespace pollbench::probe {

namespace {

// P(lo <= B < hi) for B ~ Binomial(n, 1/2), summed in log space so n in the thousands is fine.
double bracket_coverage(std::size_t n, std::size_t lo, std::size_t hi) {
  double sum = 0;
  for (std::size_t b = lo; b < hi; ++b) {
    const double log_choose = std::lgamma(n + 1.0) - std::lgamma(b + 1.0) - std::lgamma(n - b + 1.0);
    sum += std::exp(log_choose - static_cast<double>(n) * std::log(2.0));
  }
  return sum;
}

}  // namespace

std::optional<Ranks> median_ranks(std::size_t n, double confidence) {
  std::optional<Ranks> best;
  for (std::size_t j = 1; 2 * j <= n; ++j) {
    const std::size_t hi = n + 1 - j;
    if (hi <= j) break;
    const double coverage = bracket_coverage(n, j, hi);
    if (coverage < confidence) break;
    best = Ranks{j, hi, coverage};
  }
  return best;
}

nlohmann::json summarize(std::vector<double> samples) {
  nlohmann::json out;
  out["samples"] = samples;
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  out["n"] = n;
  out["median"] = n == 0 ? nlohmann::json(nullptr)
                  : n % 2 ? nlohmann::json(samples[n / 2])
                          : nlohmann::json((samples[n / 2 - 1] + samples[n / 2]) / 2);
  const auto ranks = median_ranks(n);
  out["lo"] = ranks ? nlohmann::json(samples[ranks->lo - 1]) : nlohmann::json(nullptr);
  out["hi"] = ranks ? nlohmann::json(samples[ranks->hi - 1]) : nlohmann::json(nullptr);
  out["coverage"] = ranks ? nlohmann::json(ranks->coverage) : nlohmann::json(nullptr);
  return out;
}

}  // namespace pollbench::probe
