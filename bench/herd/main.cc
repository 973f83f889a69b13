// herd_bench: the thundering herd. T threads wait to accept on one loopback port, shared in
// one of several ways (modes.h); a client connects, and every return from a wait is counted.
// See docs/herd.md for what the counters mean and what a 2-core machine does to the latencies.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "benchmark_context.h"
#include "benchmark_main.h"
#include "cli.h"
#include "experiment.h"
#include "fd.h"
#include "modes.h"
#include "run_context.h"

namespace {

using namespace pollbench::herd;

constexpr int kMaxThreads = 64;

struct Options {
  bool quick = false;
  std::vector<Mode> modes;
  std::vector<int> threads{1, 2, 4, 8, 16};
  std::vector<Arrival> arrivals{Arrival::steady, Arrival::burst};
  Load steady;
  Load burst;
};

std::string epilog() {
  std::string out = "Modes: T threads wait to accept connections on one loopback port, shared as\n";
  for (const ModeInfo& info : modes()) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-20s %s\n", std::string(info.name).c_str(), std::string(info.description).c_str());
    out += line;
  }
  out += R"(A client thread connects to 127.0.0.1 either at a steady rate (open loop) or in bursts of T
connections. Every thread waits, then accept4()s until EAGAIN. One benchmark per case:
  herd/<mode>/threads:T/arrival:<steady|burst>
with counters (per accepted connection unless said):
  connections       connections accepted (all the client made)
  wakeups_per_conn  returns from a wait per connection
  wasted_per_conn   wakeups whose first accept4 gave EAGAIN, per connection
  accept_p50_ns, accept_p99_ns   connect() call to accept4() return
  busiest_share     the largest share of the connections one thread accepted (1/T is even)
  jain_index        Jain's fairness index over the threads' counts (1 even, 1/T one thread)
  kernel_wakeups_per_conn   times a thread was woken in the kernel, whether or not its wait
                    returned (voluntary context switches), per connection
Threads wait without a timeout; an eventfd beside the listener stops them at the end.
The benchmark's time is the run's wall time, first connect to last accept (manual time).
)";
  return out;
}

// Parses and removes herd_bench's own flags, leaving --benchmark_* in argv.
Options parse(int& argc, char** argv) {
  Options o;
  std::vector<std::string> mode_names, all_modes;
  for (const ModeInfo& info : modes()) all_modes.emplace_back(info.name);
  std::vector<std::string> arrivals{"steady", "burst"};
  long connections = 0;
  long rate = 0;
  long bursts = 0;
  pollbench::cli::Parser parser("herd_bench", "The thundering herd: T threads wait to accept on one loopback port.");
  parser.pass_benchmark_flags();
  parser.flag("--quick", o.quick, "fewer connections: a few seconds in all");
  parser.list("--modes", mode_names, all_modes, "only these modes (below)").default_is("all that run here");
  parser.count_list("--threads", o.threads, 1, kMaxThreads, "thread counts");
  parser.list("--arrivals", arrivals, {"steady", "burst"}, "steady, burst or both");
  parser.count("--connections", "N", connections, 10, 100000, "steady: connections per case")
      .default_is("1000; 200 with --quick");
  parser.count("--rate", "R", rate, 10, 100000, "steady: connections per second").default_is("2000; 4000 with --quick");
  parser.count("--bursts", "B", bursts, 1, 10000, "burst: bursts of T per case").default_is("200; 40 with --quick");
  parser.epilog(epilog());
  parser.parse_or_exit(argc, argv);

  o.arrivals.clear();
  for (const std::string& a : arrivals) o.arrivals.push_back(a == "steady" ? Arrival::steady : Arrival::burst);
  o.steady.arrival = Arrival::steady;
  o.steady.connections = static_cast<std::size_t>(connections > 0 ? connections : (o.quick ? 200 : 1000));
  o.steady.rate = static_cast<double>(rate > 0 ? rate : (o.quick ? 4000 : 2000));
  o.burst.arrival = Arrival::burst;
  o.burst.bursts = static_cast<std::size_t>(bursts > 0 ? bursts : (o.quick ? 40 : 200));

  const bool modes_given = parser.given("--modes");
  for (const std::string& m : modes_given ? mode_names : all_modes) o.modes.push_back(mode_by_name(m));
  std::vector<Mode> runnable;
  for (Mode m : o.modes) {
    const std::string why = unavailable_reason(m);
    if (why.empty()) {
      runnable.push_back(m);
    } else if (modes_given) {
      std::cerr << "herd_bench: mode " << name_of(m) << " cannot run here: " << why << "\n";
      std::exit(1);
    } else {
      std::cerr << "herd_bench: skipping " << name_of(m) << ": " << why << "\n";
      benchmark::AddCustomContext("herd_skipped_" + std::string(name_of(m)), why);
    }
  }
  o.modes = runnable;
  return o;
}

void run_case(benchmark::State& state, Mode mode, int threads, const Load& load) {
  Result result;
  for (auto _ : state) {
    try {
      result = run(mode, threads, load);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
    state.SetIterationTime(std::chrono::duration<double>(result.elapsed).count());
  }
  const double n = result.connections == 0 ? 1.0 : static_cast<double>(result.connections);
  state.counters["threads"] = threads;
  state.counters["connections"] = static_cast<double>(result.connections);
  state.counters["wakeups_per_conn"] = static_cast<double>(result.wakeups) / n;
  state.counters["wasted_per_conn"] = static_cast<double>(result.wasted) / n;
  state.counters["accept_p50_ns"] = static_cast<double>(result.accept_ns.percentile(50));
  state.counters["accept_p99_ns"] = static_cast<double>(result.accept_ns.percentile(99));
  state.counters["busiest_share"] = result.busiest_share();
  state.counters["jain_index"] = result.jain_index();
  state.counters["kernel_wakeups_per_conn"] = static_cast<double>(result.sleeps) / n;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse(argc, argv);
  try {
    pollbench::raise_fd_limit();
  } catch (const std::exception& e) {
    std::cerr << "herd_bench: " << e.what() << "\n";
    return 1;
  }
  pollbench::warn_if_unoptimized();
  pollbench::add_run_context(-1);  // the threads are not pinned: the scheduler places them
  benchmark::AddCustomContext("herd_mode", options.quick ? "quick" : "default");
  char load[200];
  std::snprintf(load, sizeof load, "steady: %zu connections at %.0f/s; burst: %zu bursts of T, %lld us gap",
                options.steady.connections, options.steady.rate, options.burst.bursts,
                static_cast<long long>(options.burst.burst_gap.count()));
  benchmark::AddCustomContext("herd_load", load);

  for (Arrival arrival : options.arrivals) {
    const Load& l = arrival == Arrival::steady ? options.steady : options.burst;
    for (Mode mode : options.modes) {
      for (int t : options.threads) {
        const std::string name = "herd/" + std::string(name_of(mode)) + "/threads:" + std::to_string(t) +
                                 "/arrival:" + std::string(name_of(arrival));
        benchmark::RegisterBenchmark(name.c_str(), run_case, mode, t, l)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
      }
    }
  }

  // The promised names: exactly herd/<mode>/threads:T/arrival:A.
  return pollbench::run_benchmarks("herd_bench", argc, argv, pollbench::BenchmarkNames::promised);
}
