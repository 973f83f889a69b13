// What the four families share: which N they sweep and how Google Benchmark runs them.
#include <algorithm>
#include <iostream>

#include "wait_families.h"
#include "fd_pool.h"

namespace pollbench::wait {

std::vector<std::size_t> reachable_points(const Options& options, const std::string& family, const std::string& kind,
                                          std::size_t family_cap, std::size_t spare) {
  const std::size_t cap = options.max_fds != 0 ? options.max_fds : family_cap;
  const std::size_t limit = max_watched(kind);
  const std::size_t reachable = limit > spare ? limit - spare : 0;
  if (reachable >= cap) return sweep_points(cap, options.quick);

  // Name what the limit leaves out; the largest N that fits is swept instead.
  const FdLimit fd_limit = raise_fd_limit();
  std::string skipped;
  for (std::size_t n : sweep_points(cap, options.quick)) {
    if (n <= reachable) continue;
    if (!skipped.empty()) skipped += ", ";
    skipped += std::to_string(n);
  }
  std::cerr << "wait_bench: " << family << "/" << kind << ": N = " << skipped << " skipped: each watched " << kind
            << " fd costs " << fds_needed(kind, 1000) / 1000 << " open fd(s), and RLIMIT_NOFILE is " << fd_limit.soft
            << " (hard " << fd_limit.hard << "), so N stops at " << reachable << "\n";
  return reachable == 0 ? std::vector<std::size_t>{} : sweep_points(reachable, options.quick);
}

std::vector<std::size_t> decades_of(const std::vector<std::size_t>& points, bool quick) {
  std::vector<std::size_t> out;
  const std::size_t step = quick ? 100 : 10;
  for (std::size_t p = 1; !points.empty() && p <= points.back(); p *= step) {
    if (std::find(points.begin(), points.end(), p) != points.end()) out.push_back(p);
    if (p > points.back() / step) break;
  }
  if (!points.empty() && (out.empty() || out.back() != points.back())) out.push_back(points.back());
  return out;
}

void apply_common_settings(benchmark::internal::Benchmark* b, const Plan& plan, const std::vector<PointCost>& points) {
  const Options& options = plan.options;
  b->UseManualTime();
  b->Unit(benchmark::kNanosecond);
  const int repetitions = options.user_repetitions != 0 ? options.user_repetitions : options.quick ? 3 : 5;
  if (options.user_repetitions == 0) b->Repetitions(repetitions);
  if (!options.user_min_time) b->MinTime(size_family(points, repetitions, plan.wall_budget_s));
  // The console shows mean, median, stddev and cv per benchmark; the JSON file keeps every
  // repetition as well. (With one repetition there are no aggregates, and Google Benchmark
  // 1.7.1 would then hide a family's last row behind its BigO line.)
  if (repetitions > 1) b->DisplayAggregatesOnly(true);
}

}  // namespace pollbench::wait
