// The two families, timed the way wait_bench times its `wait` and `ctl` (bench/common/timing.h:
// one steady_clock read on each side of exactly the timed part, SetIterationTime, and the
// per-interval histogram behind p50_ns .. max_ns). What differs is where N lives: here N
// counts watched files, and all but two of them are open only in holder processes.
//
// wait_watched/<backend>/socketpair/watched:N/active:1, each iteration:
//   untimed: write one byte to the active pair's peer end (a fresh edge for epoll_et and
//            io_uring, which report once per wakeup)
//   timed:   one wait (1 s timeout, as an event loop blocks) and the walk over its tokens
//   untimed: read the byte back, so the next iteration starts from N idle sockets
// ctl_watched/<backend>/add/watched:N: timed, one registration of the spare socket (one
// epoll_ctl ADD, or one io_uring poll-add submission) with N watched; undone untimed.
// ctl_watched/<backend>/remove/watched:N: timed, removing it; redone untimed.
#include "watched_families.h"

#include <array>
#include <stdexcept>
#include <string>

#include "fds.h"
#include "timing.h"
#include "watched_set.h"

namespace pollbench::watched {

namespace {

constexpr std::chrono::milliseconds kWaitTimeout{1000};

// What every result carries besides its timing: how many files are watched and where they are.
void describe_set(benchmark::State& state, const WatchedSet& set, std::size_t n) {
  const auto value = [](double v) { return benchmark::Counter(v); };
  const FdLimit limit = raise_fd_limit();
  state.counters["watched"] = value(static_cast<double>(n));
  state.counters["fd_limit"] = value(static_cast<double>(limit.soft));
  state.counters["own_fds"] = value(static_cast<double>(open_fd_count()));
  state.counters["holders"] = value(static_cast<double>(set.holders().holders()));
  state.counters["held_files"] = value(static_cast<double>(set.holders().files_held()));
  const Growth& g = growth_to(n);
  state.counters["setup_ns_per_watched"] = value(g.ns_per_added);
  state.counters["setup_add_ns"] = value(g.add_ns_per_added);
  state.counters["kernel_bytes_per_watched"] = value(g.kernel_bytes_per_added);
  state.counters["grown_by"] = value(static_cast<double>(g.added));
}

// A quiet set reports nothing: no idle socket is ready and nothing is left over.
void expect_quiet(Watcher& w) {
  std::array<Token, 8> ready{};
  if (const std::size_t n = w.wait(ready, std::chrono::milliseconds{0}); n != 0) {
    throw std::runtime_error(std::string(w.name()) + ": " + std::to_string(n) + " events from a quiet set (token " +
                             std::to_string(ready[0]) + ")");
  }
}

void wait_benchmark(benchmark::State& state, const std::string& backend) {
  guarded(state, [&] {
    const auto n = static_cast<std::size_t>(state.range(0));
    WatchedSet& set = watched_set(backend, n);
    Watcher& w = set.watcher();
    const int reader = set.active().a.get(), writer = set.active().b.get();
    std::array<Token, 4> ready{};  // room for more than the one expected: a surplus is an error
    IntervalRecorder recorder;

    auto cycle = [&](benchmark::State* timed) -> std::string {
      const auto writes = Clock::now();
      write_byte(writer);
      const auto start = Clock::now();
      const std::size_t got = w.wait(ready, kWaitTimeout);
      Token token_sum = 0;
      for (std::size_t i = 0; i < got; ++i) token_sum += ready[i];
      benchmark::DoNotOptimize(token_sum);
      const auto stop = Clock::now();
      if (timed != nullptr) {
        recorder.record(*timed, start, stop);
        recorder.record_writes(writes, start);
        recorder.count_events(got);
      }
      drain(reader);
      if (got != 1 || ready[0] != kActiveToken) {
        return backend + ": a wait returned " + std::to_string(got) + " events (first token " +
               std::to_string(got ? ready[0] : 0) + "), expected 1 (token " + std::to_string(kActiveToken) + ")";
      }
      return "";
    };
    expect_quiet(w);
    for (int i = 0; i < 2; ++i) {  // warm-up, untimed
      if (std::string error = cycle(nullptr); !error.empty()) throw std::runtime_error(error);
    }
    for (auto _ : state) {
      if (std::string error = cycle(&state); !error.empty()) {
        state.SkipWithError(error.c_str());
        break;
      }
    }
    expect_quiet(w);
    recorder.report(state);
    describe_set(state, set, n);
  });
}

enum class Op { add, remove };

void ctl_benchmark(benchmark::State& state, const std::string& backend, Op op) {
  guarded(state, [&] {
    const auto n = static_cast<std::size_t>(state.range(0));
    WatchedSet& set = watched_set(backend, n);
    Watcher& w = set.watcher();
    const int fd = set.spare().a.get();
    IntervalRecorder recorder;
    for (int i = 0; i < 2; ++i) {  // warm-up, untimed
      w.add(fd, kSpareToken);
      w.remove(fd, kSpareToken);
      w.discard_pending();
    }
    for (auto _ : state) {
      Clock::time_point start, stop;
      if (op == Op::add) {
        start = Clock::now();
        w.add(fd, kSpareToken);
        stop = Clock::now();
        w.remove(fd, kSpareToken);
      } else {
        w.add(fd, kSpareToken);
        start = Clock::now();
        w.remove(fd, kSpareToken);
        stop = Clock::now();
      }
      w.discard_pending();
      recorder.record(state, start, stop);
    }
    expect_quiet(w);  // a change must never have made a socket ready
    recorder.report(state);
    describe_set(state, set, n);
  });
}

void apply_settings(benchmark::internal::Benchmark* b, const Options& options) {
  b->UseManualTime();
  b->Unit(benchmark::kNanosecond);
  if (!options.user_repetitions) b->Repetitions(3);
  if (!options.user_min_time) b->MinTime(0.05);
  b->DisplayAggregatesOnly(true);
}

}  // namespace

void register_families(const Options& options) {
  // Backend by backend, N rising, both families at each N: each backend's sockets are built
  // once, grown in place, and torn down before the next backend's.
  for (const std::string& backend : options.backends) {
    for (std::size_t n : watched_points(options.max_watched)) {
      const auto arg = static_cast<std::int64_t>(n);
      auto* wait = benchmark::RegisterBenchmark(("wait_watched/" + backend + "/socketpair").c_str(), wait_benchmark, backend);
      wait->ArgNames({"watched", "active"})->Args({arg, 1});
      apply_settings(wait, options);
      for (Op op : {Op::add, Op::remove}) {
        const std::string name = "ctl_watched/" + backend + (op == Op::add ? "/add" : "/remove");
        auto* ctl = benchmark::RegisterBenchmark(name.c_str(), ctl_benchmark, backend, op);
        ctl->ArgName("watched")->Arg(arg);
        apply_settings(ctl, options);
      }
    }
  }
}

}  // namespace pollbench::watched
