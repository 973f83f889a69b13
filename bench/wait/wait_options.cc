#include "wait_options.h"

#include "backend_choice.h"
#include "benchmark_flags.h"
#include "cli.h"
#include "fds.h"
#include "run_context.h"

namespace pollbench::wait {

namespace {

constexpr const char* kDescription =
    "Per-wait cost of select, poll, epoll (level- and edge-triggered) and io_uring against the number of watched fds.";

constexpr const char* kEpilog = R"(Families (Google Benchmark names):
  wait/<backend>/<fdkind>/mode:M/pos:P/fds:N/active:A
                    one wait reporting A ready fds among N watched
  ctl/<backend>/<add|modify|remove>/fds:N
                    one interest-set change with N fds registered
  wakeup/<backend>/fds:N
                    write on another CPU -> wait returns, N idle fds
  raw/<mechanism>/socketpair/mode:M/pos:P/fds:N/active:1
                    the wait loop written against the system calls
where M is how the wait is asked for: block (a 1 s timeout; the fds are already ready) or
nonblock (timeout 0, as a busy-polling loop), and P where the A ready fds sit among the N, in
fd order: first (the first A), last (the last A), middle (a block of A centred in N) or
spread (index floor((2i+1)N/2A) for i < A: the middle one for A = 1). Every N and fd kind runs
mode:block/pos:spread; socketpair adds, at a few N, A = 1 in both modes at first, middle and
last, and a denser ready sweep (A up to N) for the crossover. See docs/wait.md.

The binary sets its own --benchmark_min_time per family and 5 repetitions (3 with --quick)
unless those flags are given.
)";

}  // namespace

Options parse_options(int& argc, char** argv) {
  Options o;
  cli::Parser parser("wait_bench", kDescription);
  parser.pass_benchmark_flags();
  parser.flag("--quick", o.quick,
              "a reduced sweep of every family (socketpair fds only unless --fdkinds, N up to 10,000, 3 repetitions): "
              "about half a minute on 2 cores");
  parser.list("--backends", o.backends, cli::backend_names(), "only these backends (backends_list says which run here)")
      .default_is("every available one");
  parser.list("--fdkinds", o.fdkinds, fd_kinds(), "only these fd kinds for the wait family")
      .default_is("all; socketpair with --quick");
  parser.count("--cpu", "N", o.cpu, 0, 1 << 20,
               "pin the benchmark thread to CPU N; the wakeup family's writer runs on another allowed CPU")
      .default_is("the last allowed CPU");
  parser.count("--max-fds", "N", o.max_fds, 1, 100000000, "largest N (watched fds) to sweep")
      .default_is("what the fd limit allows, up to 1,000,000; 10,000 with --quick");
  parser.epilog(kEpilog);
  parser.parse_or_exit(argc, argv);
  const UserBenchmarkFlags user = user_benchmark_flags(parser.benchmark_args());
  o.user_min_time = user.min_time;
  o.user_repetitions = user.repetitions;
  o.backends = chosen_backends(parser, "wait_bench", o.backends, cli::backend_names());
  if (!parser.given("--fdkinds")) o.fdkinds = o.quick ? std::vector<std::string>{"socketpair"} : fd_kinds();
  if (!parser.given("--cpu")) o.cpu = default_cpu();
  require_allowed_cpu(parser, o.cpu);
  return o;
}

std::vector<std::size_t> sweep_points(std::size_t largest, bool quick) {
  std::vector<std::size_t> out;
  for (std::size_t decade = 1; decade <= largest; decade *= 10) {
    for (std::size_t step : {1, 2, 5}) {
      if (quick && step != 1) continue;
      if (decade * step <= largest) out.push_back(decade * step);
    }
    if (decade > largest / 10) break;
  }
  // The largest itself, unless a sweep point is already within 10% of it.
  if (out.empty() || static_cast<double>(largest) > 1.1 * static_cast<double>(out.back())) out.push_back(largest);
  return out;
}

}  // namespace pollbench::wait
