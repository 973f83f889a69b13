// wait_bench: how the cost of learning which fds are ready scales with the number watched.
// See docs/wait.md for what each family times and why that is fair to every backend.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "benchmark_context.h"
#include "benchmark_main.h"
#include "fd.h"
#include "parent_death.h"
#include "run_context.h"
#include "wait_families.h"
#include "wait_options.h"

namespace {

// Measures what sizes the runs (see calibrate.h) and records it in the context.
void calibrate(pollbench::wait::Plan& plan) {
  using namespace pollbench::wait;
  std::string summary;
  char line[160];
  for (const std::string& backend : plan.options.backends) {
    const MeasuredWaitCost cost = measure_wait_cost(backend);
    plan.wait_cost[backend] = cost;
    std::snprintf(line, sizeof line, "%s%s wait %.0f ns + %.1f ns/watched fd + %.1f ns/ready fd, edge %.0f ns",
                  summary.empty() ? "" : "; ", backend.c_str(), cost.base_ns, cost.per_watched_ns, cost.per_event_ns,
                  cost.edge_ns);
    summary += line;
  }
  std::vector<std::string> kinds = plan.options.fdkinds;
  if (std::find(kinds.begin(), kinds.end(), "socketpair") == kinds.end()) kinds.push_back("socketpair");
  for (const std::string& kind : kinds) {
    plan.edge_ns[kind] = measure_edge_ns(kind);
    std::snprintf(line, sizeof line, "; %s edge (write + read, untimed, unwatched) %.0f ns", kind.c_str(),
                  plan.edge_ns[kind]);
    summary += line;
  }
  benchmark::AddCustomContext("calibration", summary);
}

}  // namespace

int main(int argc, char** argv) {
  pollbench::die_with_parent();
  using namespace pollbench;
  wait::Options options = wait::parse_options(argc, argv);
  try {
    raise_fd_limit();
    pin_to_cpu(options.cpu);
  } catch (const std::exception& e) {
    std::cerr << "wait_bench: " << e.what() << "\n";
    return 2;
  }
  warn_if_unoptimized();
  add_run_context(options.cpu);
  add_clock_read_context();
  benchmark::AddCustomContext("wait_bench_mode", options.quick ? "quick" : "default");

  // The wall time per point and repetition: one repetition of a full run (about 1,060 points,
  // plus opening the fd pools and registering) then stays under two minutes, so several fresh
  // processes fit in a full bench run.
  wait::Plan plan{options, {}, {}, options.quick ? 0.015 : 0.04};
  try {
    calibrate(plan);
  } catch (const std::exception& e) {
    std::cerr << "wait_bench: calibration failed: " << e.what() << "\n";
    return 1;
  }
  wait::register_wait_family(plan);
  wait::register_ctl_family(plan);
  wait::register_wakeup_family(plan);
  wait::register_raw_family(plan);

  if (!options.user_min_time) {
    std::fprintf(stderr, "wait_bench: planned to take about %.0f s on this machine when it is idle\n",
                 wait::planned_wall_s());
  }
  return run_benchmarks("wait_bench", argc, argv, BenchmarkNames::promised);
}
