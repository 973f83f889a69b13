// Family `ctl`: the cost of changing the interest set while N fds are registered (socketpair
// fds). epoll pays a system call and a red-black tree operation per change (an insert, a
// look-up, an erase), io_uring a submission (one io_uring_enter) per change, select and poll only
// an array update: Gammo et al. (OLS 2004) found that on busy, short-lived connections these
// costs can outweigh epoll's cheaper wait.
//
// Timed: exactly one call.
//   add     registers one more fd (the pool's fd N), undone untimed by remove
//   modify  changes the token of the middle fd, keeping its interest: adding writable would make
//           the idle socket ready, and every change here must leave the set quiet (checked
//           after the loop)
//   remove  removes the middle fd, undone untimed by add
// Nothing is reaped outside the timed calls: io_uring posts a completion for each update and
// cancel it submits, and a last one for each poll it cancels; its backend drops those itself
// after each submission, inside the timed call, as part of what a change costs it.
#include "wait_families.h"
#include "fd_pool.h"
#include "registered_poller.h"
#include "timing.h"

namespace pollbench::wait {

namespace {

enum class Op { add, modify, remove };

const char* op_name(Op op) {
  switch (op) {
    case Op::add: return "add";
    case Op::modify: return "modify";
    case Op::remove: return "remove";
  }
  return "?";
}

void ctl_benchmark(benchmark::State& state, const std::string& backend, Op op) {
  guarded(state, [&] {
    const auto watched = static_cast<std::size_t>(state.range(0));
    shared_pool().ensure("socketpair", watched + 1);  // fd N is the spare that `add` adds
    Poller& poller = registered_poller(backend, "socketpair", watched);
    const FdPool& pool = shared_pool();
    const std::size_t target = op == Op::add ? watched : watched / 2;
    const int fd = pool.watched(target);
    const Token token = target;
    Events events(16);
    expect_quiet(poller, events.capacity());
    IntervalRecorder recorder;
    Token current = token;

    // Warm-up, untimed: the first change after registering pays for cold caches.
    for (int i = 0; i < 2; ++i) {
      if (op == Op::add) {
        poller.add(fd, Interest::readable, token);
        poller.remove(fd);
      } else {
        poller.remove(fd);
        poller.add(fd, Interest::readable, token);
      }
    }
    for (auto _ : state) {
      Clock::time_point start, stop;
      switch (op) {
        case Op::add:
          start = Clock::now();
          poller.add(fd, Interest::readable, token);
          stop = Clock::now();
          poller.remove(fd);
          break;
        case Op::modify:
          start = Clock::now();
          poller.modify(fd, Interest::readable, current ^ 1);  // alternate two tokens
          stop = Clock::now();
          current ^= 1;
          break;
        case Op::remove:
          start = Clock::now();
          poller.remove(fd);
          stop = Clock::now();
          poller.add(fd, Interest::readable, token);
          break;
      }
      recorder.record(state, start, stop);
    }
    if (current != token) poller.modify(fd, Interest::readable, token);  // leave token = index
    expect_quiet(poller, events.capacity());  // a change must never have made an fd ready
    recorder.report(state);
    state.SetComplexityN(static_cast<std::int64_t>(watched));
  });
}

}  // namespace

void register_ctl_family(const Plan& plan) {
  const Options& options = plan.options;
  // One spare fd (the one `add` adds) must fit next to the N.
  const std::vector<std::size_t> points = decades_of(
      reachable_points(options, "ctl", "socketpair", options.quick ? 10000 : 1000000, /*spare=*/2), options.quick);
  for (const std::string& backend : options.backends) {
    for (Op op : {Op::add, Op::modify, Op::remove}) {
      auto* b = benchmark::RegisterBenchmark(("ctl/" + backend + "/" + op_name(op)).c_str(), ctl_benchmark, backend, op);
      b->ArgName("fds");
      for (std::size_t n : points) b->Arg(static_cast<std::int64_t>(n));
      b->Complexity(benchmark::oAuto);
      // One change costs a system call at most (~1 us); add and remove are undone untimed by
      // their opposite, so about half of each iteration is timed.
      const std::vector<PointCost> costs(points.size(), PointCost{1000, op == Op::modify ? 300.0 : 1000.0});
      apply_common_settings(b, plan, costs);
    }
  }
}

}  // namespace pollbench::wait
