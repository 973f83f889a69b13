// tcp_bench: the Gammo, Brecht, Shukla and Pariag experiment (OLS 2004) on today's kernel. The
// HTTP server loop runs here, pinned to one CPU; loadgen runs as a child pinned to the other,
// holding `idle` silent connections and `active` closed-loop ones. As the idle crowd grows,
// select and poll pay for every watched fd on every wait; epoll and io_uring only for the ready.
//
// Benchmark tcp/<backend>/idle:<I>/active:<A>. One iteration is one turn of the server loop:
// a wait plus handling every connection it reported. Manual time is the wait alone (including
// any time it blocked because nothing was ready yet). Counters: per-wait latency percentiles,
// events per wait, requests per second of wall-clock time, and the setup it ran under.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "benchmark_context.h"
#include "benchmark_main.h"
#include "cli.h"
#include "fds.h"
#include "listener.h"
#include "parent_death.h"
#include "rig.h"
#include "poller.h"
#include "run_context.h"
#include "server.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Fds beside the connections: stdio, listener, poller (io_uring: its ring), the server's spare
// fd, loadgen's memory files, and loadgen's own epoll and eventfds in the child.
constexpr std::size_t kReserveFds = 256;
// Without a cap, a machine with a million fds would sweep to a million connections (two
// sockets each, a few KiB of kernel memory apiece, and minutes to open).
constexpr std::size_t kDefaultMaxIdle = 100000;
// About how long each benchmark's timed turns take. Google Benchmark's own sizing would add
// turns until the waits (the manual time) reach its minimum time, but a wait can be a tiny
// part of a turn (an io_uring_plain wait that finds its completions already queued makes no
// system call, while the turn reads, parses and answers), so one benchmark would run for
// minutes. So the turn count is fixed per benchmark from a rough cost model instead
// (estimated_turn_seconds), aiming at this much wall-clock time.
constexpr double kDefaultSeconds = 0.4;
constexpr double kQuickSeconds = 0.1;
// Repetitions per point, each with a fresh server and fresh loadgen processes (a new rig), so
// the spread between them is the spread a rerun would see, not that of turns in one run.
// Google Benchmark reports each repetition and their mean, median, stddev and cv.
constexpr int kDefaultRepetitions = 3;
constexpr std::uint64_t kMinTurns = 20;
constexpr std::uint64_t kMaxTurns = 1000000;
constexpr auto kTurnTimeout = 1s;  // a turn that waits this long with nothing ready means trouble

const std::vector<std::size_t> kIdlePoints{0, 1000, 2000, 5000, 10000};
const std::vector<std::size_t> kQuickIdlePoints{0, 1000};
const std::vector<std::size_t> kActivePoints{1, 10, 100};
const std::vector<std::size_t> kQuickActivePoints{10};

struct Settings {
  std::vector<std::string> backends;
  bool quick = false;
  int cpu = -1;
  int loadgen_cpu = -1;
  std::string loadgen;
  std::uint64_t turns = 0;        // a fixed turn count for every benchmark; 0: from the model
  double seconds = 0;             // wall-clock target per benchmark; 0: the mode's default
  bool min_time_given = false;    // --benchmark_min_time was passed: Google Benchmark sizes runs
  bool repetitions_given = false;  // --benchmark_repetitions was passed: it replaces the default
  std::size_t max_idle = kDefaultMaxIdle;
};

struct Point {
  std::string backend;
  std::size_t idle;
  std::size_t active;
};

std::string epilog() {
  std::ostringstream out;
  out << "Runs the HTTP server loop (bench/tcp/server.h) on each backend in this process, pinned to\n"
         "one CPU, against loadgen in a child process pinned to another. Benchmarks are named\n"
         "tcp/<backend>/idle:<I>/active:<A>: I silent connections, A closed-loop ones (one request\n"
         "outstanding each). One iteration is one turn of the loop (wait + handle what is ready);\n"
         "the reported time is the wait alone. Connections are opened before timing; a point where\n"
         "not all of them open reports an error, never a number.\n"
         "\n"
         "Sweep: idle 0, 1000, 2000, 5000, 10000 and the most the fd limit allows; active 1, 10, 100;\n"
         "about "
      << kDefaultSeconds << " s of turns each (at least " << kMinTurns
      << " turns).\n--quick: idle 0, 1000 and the most; active 10; about " << kQuickSeconds
      << " s each.\n"
         "Each point runs "
      << kDefaultRepetitions
      << " repetitions (--benchmark_repetitions=N to change), each on a fresh server\n"
         "with fresh loadgen processes; the JSON holds every repetition (repetition_index) and\n"
         "their mean, median, stddev and cv, so a report can give the median and min-max.\n"
         "--benchmark_min_time lets Google Benchmark size the runs by the waits alone (the manual\n"
         "time), which can take very long for fast waits.\n"
         "\n"
         "Counters: p50_ns p90_ns p99_ns p999_ns max_ns (per wait), events (ready fds per wait),\n"
         "requests_per_sec (answered requests per second of wall-clock time over the timed turns),\n"
         "request_p50_ns .. request_max_ns (loadgen's request latency over the warm-up and timed\n"
         "turns), turn_ns (wall-clock time per turn: wait + handling), empty_waits, watched (fds\n"
         "in the poller), idle, active, connect_s (time to open the connections), server_errors.\n";
  return out.str();
}

// tcp_bench's own options, bound to `s`.
void describe(pollbench::cli::Parser& p, Settings& s) {
  p.pass_benchmark_flags();
  p.flag("--quick", s.quick, "the reduced sweep (below)");
  p.list("--backends", s.backends, pollbench::cli::backend_names(), "backends to run")
      .default_is("all; unavailable ones report why");
  p.count("--cpu", "N", s.cpu, 0, 4095, "CPU for the server loop; loadgen gets another allowed CPU")
      .default_is("the last allowed one");
  p.text("--loadgen", "PATH", s.loadgen, "the load generator", [](const std::string& path) -> std::string {
     if (::access(path.c_str(), X_OK) != 0) return "no executable at '" + path + "'";
     return "";
   }).default_is("loadgen beside tcp_bench");
  p.real("--seconds", "S", s.seconds, 0.001, false, 3600,
         "aim at about S seconds of timed turns per benchmark: the turn count comes from a rough cost model")
      .default_is((std::ostringstream() << kDefaultSeconds << ", " << kQuickSeconds << " with --quick").str());
  p.count("--turns", "N", s.turns, 1, 100000000, "time exactly N turns per benchmark instead").default_is("");
  p.count("--max-idle", "N", s.max_idle, 0, 10000000, "cap on the largest idle count (the fd limit caps it too)");
  p.epilog(epilog());
}

std::string default_loadgen_path() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("loadgen") : (self.parent_path() / "loadgen").string();
}

void run_point(benchmark::State& state, const Point& p, const Settings& s) {
  if (::access(s.loadgen.c_str(), X_OK) != 0) {
    state.SkipWithError(("no loadgen at " + s.loadgen + " (build the loadgen target or pass --loadgen=PATH)").c_str());
    return;
  }
  const std::string error = pollbench::Rig::prepare(pollbench::RigPlan{p.backend, p.idle, p.active, s.loadgen, s.loadgen_cpu});
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  pollbench::Rig& rig = *pollbench::Rig::current();
  pollbench::Server& server = rig.server();
  pollbench::LoadgenProcess& loadgen = rig.active_loadgen();
  server.reset_stats();

  std::string failure;
  const auto start = Clock::now();
  for (auto _ : state) {
    const pollbench::Server::Turn turn = server.turn(kTurnTimeout);
    state.SetIterationTime(std::chrono::duration<double>(turn.waited).count());
    if (turn.events == 0 && !loadgen.running()) {
      failure = "loadgen ended during the measurement (" + loadgen.how_it_ended() + "): " + loadgen.stderr_tail();
      break;
    }
  }
  const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  const pollbench::ServerStats st = server.stats();  // a copy: finishing loadgen runs more turns
  const std::size_t watched = server.poller().watched();
  if (failure.empty() && (st.closed > 0 || st.accepted > 0)) {
    failure = "connections came and went during the measurement (" + std::to_string(st.accepted) + " accepted, " +
              std::to_string(st.closed) + " closed, " + std::to_string(st.reset_by_peer) +
              " reset by loadgen); loadgen said: " + loadgen.stderr_tail();
  }
  const pollbench::LoadgenReport report = rig.finish_active();
  const double connect_s = rig.connect_s();
  // Every call (every repetition) starts from a fresh server and fresh loadgen processes.
  pollbench::Rig::tear_down();
  const double loadgen_errors = pollbench::sum_of(report.json, "errors");
  if (failure.empty() && (report.ended != "exit 0" || !(loadgen_errors == 0))) {
    failure = "loadgen ended with " + report.ended + " and " +
              (std::isnan(loadgen_errors) ? std::string("no report") : pollbench::object_text(report.json, "errors")) +
              ": " + report.stderr_tail;
  }
  if (!failure.empty()) {
    state.SkipWithError(failure.c_str());
    return;
  }

  const pollbench::Histogram& h = st.wait_ns;
  const double waits = static_cast<double>(std::max<std::uint64_t>(st.waits, 1));
  state.counters["p50_ns"] = static_cast<double>(h.percentile(50));
  state.counters["p90_ns"] = static_cast<double>(h.percentile(90));
  state.counters["p99_ns"] = static_cast<double>(h.percentile(99));
  state.counters["p999_ns"] = static_cast<double>(h.percentile(99.9));
  state.counters["max_ns"] = static_cast<double>(h.max());
  state.counters["events"] = static_cast<double>(st.events) / waits;
  // Not Counter::kIsRate: under UseManualTime() Google Benchmark divides rates by the manual
  // time, the waits alone, which would overstate throughput by the handling time. This is
  // requests over the wall-clock time of the timed turns.
  state.counters["requests_per_sec"] = wall_s > 0 ? static_cast<double>(st.requests) / wall_s : 0;
  state.counters["turn_ns"] = wall_s * 1e9 / waits;
  state.counters["empty_waits"] = static_cast<double>(st.empty_waits);
  state.counters["server_errors"] = static_cast<double>(st.total_errors());
  state.counters["watched"] = static_cast<double>(watched);
  state.counters["idle"] = static_cast<double>(p.idle);
  state.counters["active"] = static_cast<double>(p.active);
  state.counters["connect_s"] = connect_s;
  // The client's view, from loadgen's report: request latency (send to answer) over this
  // call's warm-up and timed turns.
  for (const char* q : {"p50", "p90", "p99", "p999", "max"}) {
    state.counters[std::string("request_") + q + "_ns"] = pollbench::number_in(report.json, "latency_ns", q);
  }
}

// A rough cost of one turn, only to choose how many turns to time (never reported): a round
// trip, some handling per active connection, and for a backend whose wait costs O(watched)
// (select, poll: they look at every watched fd on every wait), a fraction of a microsecond per
// fd. Measured on the 2-core reference machine: ~30 us per turn at active:10 on epoll, ~9 ms
// for select with 19,600 idle.
double estimated_turn_seconds(const Point& p) {
  const bool scans_every_fd = pollbench::backend_info(p.backend).traits.wait_cost == pollbench::WaitCost::per_watched;
  return 30e-6 + 4e-6 * static_cast<double>(p.active) +
         (scans_every_fd ? 0.5e-6 * static_cast<double>(p.idle + p.active) : 0.0);
}

std::uint64_t turns_for(const Point& p, double seconds) {
  const double turns = seconds / estimated_turn_seconds(p);
  return std::clamp(static_cast<std::uint64_t>(turns), kMinTurns, kMaxTurns);
}

void register_points(const Settings& s) {
  const std::vector<std::size_t>& actives = s.quick ? kQuickActivePoints : kActivePoints;
  // Room for the full sweep's largest active count even in --quick, so that the largest idle
  // point has the same name in both.
  const std::size_t max_active = *std::max_element(kActivePoints.begin(), kActivePoints.end());
  const pollbench::FdLimit limit = pollbench::raise_fd_limit();
  const std::size_t available = pollbench::fds_available(kReserveFds);
  std::size_t max_idle = available > max_active ? (available - max_active) / 100 * 100 : 0;
  if (max_idle > s.max_idle) {
    std::cerr << "tcp_bench: the largest idle count is capped at " << s.max_idle << " (--max-idle); the fd limit "
              << limit.soft << " would allow " << max_idle << "\n";
    max_idle = s.max_idle;
  }

  std::vector<std::size_t> idles;
  for (std::size_t idle : s.quick ? kQuickIdlePoints : kIdlePoints) {
    if (idle <= max_idle) {
      idles.push_back(idle);
    } else {
      std::cerr << "tcp_bench: skipping idle:" << idle << ": the fd limit RLIMIT_NOFILE (soft " << limit.soft
                << ", hard " << limit.hard << ") allows at most " << max_idle << " idle connections beside "
                << max_active << " active and " << kReserveFds << " spare fds in each process\n";
    }
  }
  if (idles.empty() || max_idle > idles.back()) idles.push_back(max_idle);

  for (const std::string& backend : s.backends) {
    for (std::size_t idle : idles) {
      for (std::size_t active : actives) {
        const Point point{backend, idle, active};
        const std::string name =
            "tcp/" + backend + "/idle:" + std::to_string(idle) + "/active:" + std::to_string(active);
        auto* b = benchmark::RegisterBenchmark(name.c_str(),
                                               [point, &s](benchmark::State& state) { run_point(state, point, s); });
        b->UseManualTime()->Unit(benchmark::kMicrosecond);
        if (!s.repetitions_given) b->Repetitions(kDefaultRepetitions);
        if (s.turns != 0) {
          b->Iterations(static_cast<benchmark::IterationCount>(s.turns));
        } else if (!s.min_time_given || s.seconds != 0) {
          const double seconds = s.seconds != 0 ? s.seconds : (s.quick ? kQuickSeconds : kDefaultSeconds);
          b->Iterations(static_cast<benchmark::IterationCount>(turns_for(point, seconds)));
        }
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  pollbench::die_with_parent();
  static Settings settings;  // the registered benchmarks refer to it
  pollbench::cli::Parser parser("tcp_bench", "The HTTP server loop on each backend against loadgen, as the idle crowd grows.");
  describe(parser, settings);
  parser.parse_or_exit(argc, argv);  // leaves the --benchmark_* flags in argv
  settings.min_time_given = parser.benchmark_flag("--benchmark_min_time").has_value();
  settings.repetitions_given = parser.benchmark_flag("--benchmark_repetitions").has_value();
  pollbench::raise_fd_limit();

  if (settings.backends.empty()) {
    for (const auto& info : pollbench::backends()) settings.backends.push_back(info.name);
  }
  if (settings.loadgen.empty()) settings.loadgen = default_loadgen_path();
  if (::access(settings.loadgen.c_str(), X_OK) != 0) {
    std::cerr << "tcp_bench: warning: no loadgen at " << settings.loadgen
              << "; every benchmark will report an error (build the loadgen target or pass --loadgen=PATH)\n";
  }
  try {
    if (settings.cpu < 0) settings.cpu = pollbench::default_cpu();
    pollbench::pin_to_cpu(settings.cpu);
  } catch (const std::invalid_argument& e) {
    parser.fail(std::string("--cpu: ") + e.what());
  }
  settings.loadgen_cpu = pollbench::other_cpu(settings.cpu);
  if (settings.loadgen_cpu == settings.cpu) {
    std::cerr << "tcp_bench: warning: only one CPU is allowed; loadgen shares it with the server\n";
  }

  pollbench::add_run_context(settings.cpu);
  benchmark::AddCustomContext("tcp_bench_mode", settings.quick ? "quick" : "default");
  benchmark::AddCustomContext("tcp_fresh_rig_per_repetition", "yes");
  benchmark::AddCustomContext("tcp_loadgen", settings.loadgen);
  benchmark::AddCustomContext("tcp_loadgen_cpu", std::to_string(settings.loadgen_cpu));
  pollbench::warn_if_unoptimized();
  register_points(settings);
  const int status = pollbench::run_benchmarks("tcp_bench", argc, argv, pollbench::BenchmarkNames::google);
  pollbench::Rig::tear_down();
  return status;
}
