// Family `wait`: the cost of one wait that reports A ready fds among N watched ones.
//
// Each iteration, for every backend alike:
//   untimed: write one byte to the peer of each of the A active fds (a fresh edge, so
//            edge-triggered epoll and io_uring, which report once per wakeup, have something
//            to report; level-triggered backends would report the fds anyway)
//   timed:   poller.wait() and the caller's walk over the events it returned -- what an event
//            loop pays to learn which fds are ready:
//              select   copies its interest bit sets, select(maxfd + 1), scans every bit word
//              poll     poll() over all N pollfds, scans revents until it has met the
//                       ready ones
//              epoll    epoll_wait() copies out the ready list, walks the A events
//              io_uring reaps the A completions its multishot polls posted (no system call
//                       when they are already there, as here)
//   untimed: read each active fd's byte back, so the next iteration starts from N idle fds.
// The interval is read with Clock around exactly the timed part and reported through
// SetIterationTime (UseManualTime): PauseTiming/ResumeTiming would cost more than a fast wait.
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "families.h"
#include "fd_pool.h"
#include "registered_poller.h"
#include "timing.h"

namespace pollbench::wait {

namespace {

void wait_benchmark(benchmark::State& state, const std::string& backend, const std::string& kind) {
  guarded(state, [&] {
    const auto watched = static_cast<std::size_t>(state.range(0));
    const auto active = static_cast<std::size_t>(state.range(1));
    Poller& poller = registered_poller(backend, kind, watched);
    const FdPool& pool = shared_pool();
    const std::vector<std::size_t> active_index = spread(watched, active);
    std::vector<int> active_fd;
    for (std::size_t i : active_index) active_fd.push_back(pool.watched(i));
    const Token expected_token_sum = std::accumulate(active_index.begin(), active_index.end(), Token{0});
    const bool needs_settle = kind == "tcp";

    // One spare slot: a wait that reports more than A events shows up as a mismatch.
    Events events(active + 1);
    expect_quiet(poller, active + 1);
    IntervalRecorder recorder;

    // One iteration, recorded in `timed` (null for the untimed warm-up). Returns an error or "".
    auto cycle = [&](benchmark::State* timed) -> std::string {
      const auto writes = Clock::now();
      for (std::size_t i : active_index) write_byte(pool.peer(i));
      if (needs_settle) settle_readable(active_fd);

      const auto start = Clock::now();
      const std::size_t n = wait_for_events(poller, events);
      Token token_sum = 0;
      for (const Event& e : events) token_sum += e.token;  // the event loop's dispatch, minimal
      benchmark::DoNotOptimize(token_sum);
      const auto stop = Clock::now();

      if (timed != nullptr) {
        recorder.record(*timed, start, stop);
        recorder.record_writes(writes, start);
        recorder.count_events(n);
      }
      if (n != active || token_sum != expected_token_sum) {
        return backend + ": a wait returned " + std::to_string(n) + " events (token sum " +
               std::to_string(token_sum) + "), expected " + std::to_string(active) + " (token sum " +
               std::to_string(expected_token_sum) + ")";
      }
      for (int fd : active_fd) read_one(fd);
      return "";
    };

    // Warm-up, untimed: the first waits after registering pay for cold caches and lazily
    // allocated kernel state, and Google Benchmark's first one-iteration trial must not see that.
    for (int i = 0; i < 2; ++i) {
      if (std::string error = cycle(nullptr); !error.empty()) throw std::runtime_error(error);
    }
    for (auto _ : state) {
      if (std::string error = cycle(&state); !error.empty()) {
        state.SkipWithError(error.c_str());
        for (int fd : active_fd) drain(fd);  // leave the pool idle for the next run
        break;
      }
    }
    recorder.report(state);
    state.SetComplexityN(static_cast<std::int64_t>(watched));
  });
}

}  // namespace

void register_wait_family(const Plan& plan) {
  const Options& options = plan.options;
  const std::size_t cap = options.quick ? 10000 : 1000000;
  // Quick mode keeps many ready fds to N <= 1000: each iteration writes and reads every one.
  const std::size_t quick_many_ready_cap = 1000;
  for (const std::string& kind : options.fdkinds) {
    const std::vector<std::size_t> points = reachable_points(options, "wait", kind, cap);
    for (const std::string& backend : options.backends) {
      // Fixed A = 1, 10, 100 (each from N = A, except that N = A > 1 belongs to the all-ready
      // family, so every name is unique), then A = N: all ready.
      for (std::size_t active : {std::size_t{1}, std::size_t{10}, std::size_t{100}, std::size_t{0}}) {
        if (options.quick && active == 10) continue;
        std::vector<std::vector<std::int64_t>> args;
        for (std::size_t n : points) {
          const bool all_ready = active == 0;
          if (all_ready ? n < 2 : (n < active || (n == active && active > 1))) continue;
          if (options.quick && active != 1 && n > quick_many_ready_cap) continue;
          args.push_back({static_cast<std::int64_t>(n), static_cast<std::int64_t>(all_ready ? n : active)});
        }
        if (args.empty()) continue;  // the fd limit leaves no N >= A (reachable_points said so)
        auto* b = benchmark::RegisterBenchmark(("wait/" + backend + "/" + kind).c_str(), wait_benchmark, backend, kind);
        b->ArgNames({"fds", "active"});
        for (const auto& a : args) b->Args(a);
        b->Complexity(benchmark::oAuto);
        const WaitCost& cost = plan.wait_cost.at(backend);
        std::vector<PointCost> costs;
        for (const auto& a : args) {
          const auto n = static_cast<std::size_t>(a[0]), ready = static_cast<std::size_t>(a[1]);
          costs.push_back({cost.estimate_ns(n, ready), static_cast<double>(ready) * plan.edge_ns_for(backend, kind)});
        }
        apply_common_settings(b, plan, costs);
      }
    }
  }
}

}  // namespace pollbench::wait
