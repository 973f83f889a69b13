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
//              io_uring runs the poll re-checks the writes queued (io_uring_get_events) and
//                       reaps the A completions they post; io_uring_plain finds them
//                       already posted (the write ran the re-checks) and only reaps them
//   untimed: read each active fd's byte back, so the next iteration starts from N idle fds.
// The interval is read with Clock around exactly the timed part and reported through
// SetIterationTime (UseManualTime): PauseTiming/ResumeTiming would cost more than a fast wait.
//
// Each point names how it waits and where its ready fds sit (registered_poller.h, fd_pool.h):
//   wait/<backend>/<fdkind>/mode:<block|nonblock>/pos:<first|middle|last|spread>/fds:N/active:A
// because both move select and poll by up to 3x at large N. The sweeps:
//   default    mode:block/pos:spread, every fd kind, every N, A = 1, 10, 100 and N
//   position   socketpair, A = 1, mode block and nonblock x pos first, middle, last, at
//              N = 100, 1,000, 10,000 and the largest (quick: 100 and 1,000)
//   crossover  socketpair, mode:block/pos:spread, A = 1, 10, 100, 1,000, N/4, N/2, 3N/4, N at
//              N = 1,000 and the largest (quick: 1,000), the points the default lacks: where
//              the O(ready) backends start losing to poll as more of the N are ready
//   dup        the per-fd cost's control, fd kind dup (fd_pool.h): A = 1, mode block and
//              nonblock x pos middle, last, at N = 1,000, 10,000 and the largest (quick:
//              1,000, pos last), for the O(watched) backends and epoll_lt; each pairs with the
//              position sweep's socketpair point of the same name but its kind
// (each N capped at the largest the fd limit reaches).
#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "wait_families.h"
#include "fd_pool.h"
#include "fds.h"
#include "registered_poller.h"
#include "timing.h"

namespace pollbench::wait {

namespace {

// How one registered benchmark waits and where its ready fds sit.
struct Shape {
  WaitMode mode;
  Position position;
};

void wait_benchmark(benchmark::State& state, const std::string& backend, const std::string& kind, Shape shape) {
  state.SetLabel(std::string("mode=") + mode_name(shape.mode) + " pos=" + position_name(shape.position));
  guarded(state, [&] {
    const auto watched = static_cast<std::size_t>(state.range(0));
    const auto active = static_cast<std::size_t>(state.range(1));
    const std::vector<std::size_t> active_index = ready_indices(watched, active, shape.position);
    if (kind == kDupKind) shared_pool().place_ready(watched, active_index);
    Poller& poller = registered_poller(backend, kind, watched);
    const FdPool& pool = shared_pool();
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
      const std::size_t n = wait_for_events(poller, events, shape.mode);
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

// Quick mode keeps many ready fds to N <= 1000: each iteration writes and reads every one.
constexpr std::size_t kQuickManyReadyCap = 1000;

// The default sweep's A at each N: fixed A = 1, 10, 100 (each from N = A, except that N = A > 1
// belongs to the all-ready family, so every name is unique), then A = N (kAllReady): all ready.
constexpr std::size_t kAllReady = 0;
bool in_default_sweep(std::size_t spec, std::size_t n, bool quick) {
  if (quick && spec == 10) return false;
  if (quick && spec != 1 && n > kQuickManyReadyCap) return false;
  return spec == kAllReady ? n >= 2 : n > spec || (n == spec && spec == 1);
}
bool default_has(std::size_t n, std::size_t active, bool quick) {
  for (std::size_t spec : {std::size_t{1}, std::size_t{10}, std::size_t{100}, kAllReady}) {
    if ((spec == kAllReady ? n : spec) == active && in_default_sweep(spec, n, quick)) return true;
  }
  return false;
}

// `wanted`, each capped at `largest`, without those below 2 (one fd has no position), sorted,
// without duplicates.
std::vector<std::size_t> capped(std::vector<std::size_t> wanted, std::size_t largest) {
  for (std::size_t& n : wanted) n = std::min(n, largest);
  std::erase_if(wanted, [](std::size_t n) { return n < 2; });
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  return wanted;
}

void register_points(const Plan& plan, const std::string& backend, const std::string& kind, Shape shape,
                     const std::vector<std::vector<std::int64_t>>& args, bool fit_complexity) {
  if (args.empty()) return;  // the fd limit leaves no N >= A (reachable_points said so)
  const std::string name = "wait/" + backend + "/" + kind + "/mode:" + mode_name(shape.mode) +
                           "/pos:" + position_name(shape.position);
  auto* b = benchmark::RegisterBenchmark(name.c_str(), wait_benchmark, backend, kind, shape);
  b->ArgNames({"fds", "active"});
  for (const auto& a : args) b->Args(a);
  if (fit_complexity) b->Complexity(benchmark::oAuto);
  const MeasuredWaitCost& cost = plan.wait_cost.at(backend);
  const std::string edge_kind = kind == kDupKind ? "socketpair" : kind;  // a dup pool's ready fds are socketpairs
  std::vector<PointCost> costs;
  for (const auto& a : args) {
    const auto n = static_cast<std::size_t>(a[0]), ready = static_cast<std::size_t>(a[1]);
    costs.push_back({cost.estimate_ns(n, ready), static_cast<double>(ready) * plan.edge_ns_for(backend, edge_kind)});
  }
  apply_common_settings(b, plan, costs);
}

std::vector<std::int64_t> point(std::size_t n, std::size_t active) {
  return {static_cast<std::int64_t>(n), static_cast<std::int64_t>(active)};
}

// The dup control at the position sweep's larger N (`largest`: the socketpair sweep's, so the
// names pair), for the backends whose wait looks at every watched fd, and epoll_lt beside them.
void register_dup_control(const Plan& plan, std::size_t largest) {
  const bool quick = plan.options.quick;
  const std::vector<std::size_t> dup_n =
      capped(quick ? std::vector<std::size_t>{1000} : std::vector<std::size_t>{1000, 10000, largest}, largest);
  const std::vector<Position> positions =
      quick ? std::vector<Position>{Position::last} : std::vector<Position>{Position::middle, Position::last};
  for (const std::string& backend : plan.options.backends) {
    const BackendTraits& traits = backend_info(backend).traits;
    if (traits.wait_cost != pollbench::WaitCost::per_watched && backend != "epoll_lt") continue;
    for (WaitMode mode : {WaitMode::block, WaitMode::nonblock}) {
      for (Position position : positions) {
        std::vector<std::vector<std::int64_t>> args;
        for (std::size_t n : dup_n) args.push_back(point(n, 1));
        register_points(plan, backend, kDupKind, {mode, position}, args, false);
      }
    }
  }
}

}  // namespace

void register_wait_family(const Plan& plan) {
  const Options& options = plan.options;
  const bool quick = options.quick;
  const std::size_t cap = quick ? 10000 : 1000000;
  std::size_t socketpair_largest = 0;
  for (const std::string& kind : options.fdkinds) {
    const std::vector<std::size_t> points = reachable_points(options, "wait", kind, cap);
    if (points.empty()) continue;
    const std::size_t largest = points.back();
    if (kind == "socketpair") socketpair_largest = largest;
    for (const std::string& backend : options.backends) {
      // The default sweep: one registration per A, so each gets its own complexity fit over N.
      for (std::size_t spec : {std::size_t{1}, std::size_t{10}, std::size_t{100}, kAllReady}) {
        std::vector<std::vector<std::int64_t>> args;
        for (std::size_t n : points) {
          if (spec != kAllReady && n < spec) continue;
          if (in_default_sweep(spec, n, quick)) args.push_back(point(n, spec == kAllReady ? n : spec));
        }
        register_points(plan, backend, kind, {WaitMode::block, Position::spread}, args, true);
      }
      // Position and crossover sweeps on socketpair only: the fd kind moves neither effect.
      if (kind != "socketpair") continue;
      const std::vector<std::size_t> position_n =
          capped(quick ? std::vector<std::size_t>{100, 1000} : std::vector<std::size_t>{100, 1000, 10000, largest},
                 largest);
      for (WaitMode mode : {WaitMode::block, WaitMode::nonblock}) {
        for (Position position : {Position::first, Position::middle, Position::last}) {
          std::vector<std::vector<std::int64_t>> args;
          for (std::size_t n : position_n) args.push_back(point(n, 1));
          register_points(plan, backend, kind, {mode, position}, args, false);
        }
      }
      std::vector<std::vector<std::int64_t>> crossover;
      for (std::size_t n : capped(quick ? std::vector<std::size_t>{1000} : std::vector<std::size_t>{1000, largest},
                                  largest)) {
        std::vector<std::size_t> actives{1, 10, 100, 1000, n / 4, n / 2, 3 * n / 4, n};
        std::erase_if(actives, [&](std::size_t a) { return a < 1 || a > n || default_has(n, a, quick); });
        std::sort(actives.begin(), actives.end());
        actives.erase(std::unique(actives.begin(), actives.end()), actives.end());
        for (std::size_t a : actives) crossover.push_back(point(n, a));
      }
      register_points(plan, backend, kind, {WaitMode::block, Position::spread}, crossover, false);
    }
  }
  // Last, so the socketpair pool is not closed and reopened between backends.
  if (socketpair_largest != 0) register_dup_control(plan, socketpair_largest);
}

}  // namespace pollbench::wait
