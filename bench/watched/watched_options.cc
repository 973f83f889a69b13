#include "watched_options.h"

#include "backend_choice.h"
#include "benchmark_flags.h"
#include "cli.h"
#include "run_context.h"
#include "watched_set.h"

namespace pollbench::watched {

namespace {

// Largest --max-watched accepted; the memory, process and file checks decide what really fits.
constexpr std::size_t kMaxWatchedLimit = 100000000;

constexpr const char* kDescription =
    "Per-wait and registration cost of epoll and io_uring with more sockets watched than the fd limit.";

constexpr const char* kEpilog = R"(epoll and io_uring watch files, not fd numbers, so one process can watch far more sockets
than its fd limit: holder processes keep the files open (SCM_RIGHTS), and this process keeps
only the pairs it writes to. Families (Google Benchmark names):
  wait_watched/<backend>/socketpair/watched:N/active:1   one wait reporting 1 ready socket
                                                          among N watched
  ctl_watched/<backend>/<add|remove>/watched:N            one registration change with N watched
select and poll are not here: they watch fd numbers in this process's own table, so they stop
at the fd limit (in the results' context).
N: 1,000, 10,000, 20,000, 50,000, 100,000, 200,000, 500,000, 1,000,000 up to --max-watched.

Before it starts the run measures the kernel memory per watched socketpair on this machine
and refuses (exit 2), naming the figures, a --max-watched that would not fit in MemAvailable,
or that would need more processes, files or epoll watches than the system allows.
See docs/watched.md.

Default: 3 repetitions, --benchmark_min_time=0.05 per point.
Environment: POLLBENCH_WATCHED_MEM_AVAILABLE_MIB replaces MemAvailable in the memory check
(for tests).
)";

}  // namespace

Options parse_options(int& argc, char** argv) {
  Options o;
  cli::Parser parser("watched_bench", kDescription);
  parser.pass_benchmark_flags();
  parser.count("--max-watched", "N", o.max_watched, 2, kMaxWatchedLimit,
               "largest N (--max-watched=1000000 for the million)");
  parser.list("--backends", o.backends, watcher_backends(), "only these backends").default_is("every available one");
  parser.count("--cpu", "N", o.cpu, 0, 1 << 20, "pin the benchmark thread to CPU N").default_is("the last allowed CPU");
  parser.epilog(kEpilog);
  parser.parse_or_exit(argc, argv);
  const UserBenchmarkFlags user = user_benchmark_flags(parser.benchmark_args());
  o.user_min_time = user.min_time;
  o.user_repetitions = user.repetitions != 0;
  o.backends = chosen_backends(parser, "watched_bench", o.backends, watcher_backends());
  if (!parser.given("--cpu")) o.cpu = default_cpu();
  require_allowed_cpu(parser, o.cpu);
  return o;
}

std::vector<std::size_t> watched_points(std::size_t max_watched) {
  std::vector<std::size_t> out;
  for (std::size_t n : {1000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000}) {
    if (n <= max_watched) out.push_back(n);
  }
  if (out.empty() || out.back() != max_watched) out.push_back(max_watched);
  return out;
}

}  // namespace pollbench::watched
