// The four benchmark families of wait_bench. Each registers itself at run time for the
// backends and fd kinds in Options (never a hand-copied list).
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "calibrate.h"
#include "wait_options.h"

namespace pollbench::wait {

// The command line and what start-up measured, from which the families size their runs.
struct Plan {
  Options options;
  std::map<std::string, MeasuredWaitCost> wait_cost;  // by backend
  std::map<std::string, double> edge_ns;      // by fd kind, no poller watching
  double wall_budget_s = 0;                   // about this much wall time per benchmark run

  // One untimed edge of `kind` while `backend` watches.
  double edge_ns_for(const std::string& backend, const std::string& kind) const {
    return wait_cost.at(backend).edge_ns + edge_ns.at(kind) - edge_ns.at("socketpair");
  }
};

// wait/<backend>/<fdkind>/mode:<block|nonblock>/pos:<first|middle|last|spread>/fds:N/active:A
void register_wait_family(const Plan& plan);
void register_ctl_family(const Plan& plan);     // ctl/<backend>/<op>/fds:N
void register_wakeup_family(const Plan& plan);  // wakeup/<backend>/fds:N
// raw/<mechanism>/socketpair/mode:<block|nonblock>/pos:<first|middle|last|spread>/fds:N/active:1
void register_raw_family(const Plan& plan);

// The N this family sweeps for `kind`: sweep_points() up to what the fd limit and --max-fds
// allow (capped at `family_cap`), with `spare` more watched fds left free for the family's own
// use. Points the fd limit cannot reach are named on stderr.
std::vector<std::size_t> reachable_points(const Options& options, const std::string& family,
                                          const std::string& kind, std::size_t family_cap, std::size_t spare = 0);

// Every power of ten in `points`, and the last point: the coarser sweep of the families whose
// runs cost more (ctl, wakeup, raw). With `quick`, every other power of ten.
std::vector<std::size_t> decades_of(const std::vector<std::size_t>& points, bool quick);

// Repetitions, aggregates, manual time, and a min time sized by the expected cost of each of
// the family's points (see calibrate.h), leaving --benchmark_repetitions and
// --benchmark_min_time to the user when given.
void apply_common_settings(benchmark::internal::Benchmark* b, const Plan& plan, const std::vector<PointCost>& points);

}  // namespace pollbench::wait
