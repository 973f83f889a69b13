#include "calibrate.h"

#include <algorithm>
#include <vector>

#include "fd_pool.h"
#include "registered_poller.h"
#include "timing.h"

namespace pollbench::wait {

namespace {

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

struct Medians {
  double wait_ns;
  double edge_ns;  // per ready fd
};

// Median ns of one timed wait with `active` of `watched` ready, as the wait family times it,
// and of the untimed edges around it.
Medians median_wait_ns(const std::string& backend, std::size_t watched, std::size_t active, int rounds) {
  Poller& poller = registered_poller(backend, "socketpair", watched);
  const FdPool& pool = shared_pool();
  const std::vector<std::size_t> ready = spread(watched, active);
  Events events(active + 1);
  std::vector<double> waits, edges;
  for (int r = 0; r < rounds + 3; ++r) {  // the first three warm up
    const auto writes = Clock::now();
    for (std::size_t i : ready) write_byte(pool.peer(i));
    const auto start = Clock::now();
    wait_for_events(poller, events);
    const auto stop = Clock::now();
    for (std::size_t i : ready) read_one(pool.watched(i));
    const auto reads = Clock::now();
    if (r < 3) continue;
    waits.push_back(static_cast<double>(elapsed_ns(start, stop)));
    edges.push_back(static_cast<double>(elapsed_ns(writes, start) + elapsed_ns(stop, reads)) /
                    static_cast<double>(active));
  }
  forget_registered_poller();
  return Medians{median(waits), median(edges)};
}

}  // namespace

double MeasuredWaitCost::estimate_ns(std::size_t watched, std::size_t active) const {
  return base_ns + per_watched_ns * static_cast<double>(watched - 1) + per_event_ns * static_cast<double>(active - 1);
}

MeasuredWaitCost measure_wait_cost(const std::string& backend) {
  constexpr std::size_t kWatched = 64;
  MeasuredWaitCost cost;
  const Medians single = median_wait_ns(backend, 1, 1, 201);
  cost.base_ns = single.wait_ns;
  cost.edge_ns = single.edge_ns;
  const double one_of_many = median_wait_ns(backend, kWatched, 1, 41).wait_ns;
  const double all_of_many = median_wait_ns(backend, kWatched, kWatched, 21).wait_ns;
  cost.per_watched_ns = std::max(0.0, (one_of_many - cost.base_ns) / (kWatched - 1));
  cost.per_event_ns = std::max(0.0, (all_of_many - one_of_many) / (kWatched - 1));
  return cost;
}

double measure_edge_ns(const std::string& kind) {
  FdPool& pool = shared_pool();
  pool.ensure(kind, 2);
  std::vector<double> samples;
  for (int r = 0; r < 201; ++r) {
    const auto start = Clock::now();
    write_byte(pool.peer(0));
    if (kind == "tcp") settle_readable({pool.watched(0)});
    read_one(pool.watched(0));
    samples.push_back(static_cast<double>(elapsed_ns(start, Clock::now())));
  }
  return median(samples);
}

namespace {
double planned_s = 0;
}

double size_family(const std::vector<PointCost>& points, int repetitions, double wall_budget_s) {
  if (points.empty()) return wall_budget_s;
  // Google Benchmark's last trial aims 40% past the min time; its earlier trials add ~10%.
  constexpr double kOvershoot = 1.5;
  double wall_per_timed = 0;  // mean over points of (timed + untimed) / timed
  double costliest_ns = 0;
  for (const PointCost& p : points) {
    wall_per_timed += (p.timed_ns + p.untimed_ns) / std::max(1.0, p.timed_ns) / static_cast<double>(points.size());
    costliest_ns = std::max(costliest_ns, p.timed_ns);
  }
  double min_time = wall_budget_s / (kOvershoot * wall_per_timed);
  // A couple of iterations at the costliest point, if that costs at most twice the budget.
  min_time = std::max(min_time, std::min(2 * costliest_ns * 1e-9, 2 * min_time));
  min_time = std::max(min_time, 1e-5);
  for (const PointCost& p : points) {
    const double iterations = std::max(1.0, kOvershoot * min_time / std::max(1e-9, p.timed_ns * 1e-9));
    planned_s += repetitions * iterations * (p.timed_ns + p.untimed_ns) * 1e-9;
  }
  return min_time;
}

double planned_wall_s() { return planned_s; }

}  // namespace pollbench::wait
