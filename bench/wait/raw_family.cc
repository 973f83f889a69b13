// Family `raw`: the wait family's loop (active:1, socketpair fds) written directly against
// the system calls, without the Poller interface, so the report can show what the interface
// costs (its virtual call, the Events buffer, the fd -> token lookup). Each mechanism's timed
// interval does what its backend does and nothing more:
//   select   copy the interest bit words, select(maxfd + 1, readfds only), scan the words
//   poll     poll() over the N pollfds, scan revents until the ready ones are found
//   epoll    epoll_wait(), walk the returned events
//   io_uring wait for a completion of the multishot polls, on the io_uring backend's ring
//            set-up (deferred task work: the wait enters the kernel, which runs the re-check
//            the write queued and posts the completion), walk the completion queue, advance it
// Like the wait family, each point names its wait mode (block: a 1 s timeout; nonblock:
// timeout 0) and the position of its one ready fd (see fd_pool.h):
//   raw/<mechanism>/socketpair/mode:<block|nonblock>/pos:<first|middle|last|spread>/fds:N/active:1
// mode:block/pos:spread at every N is the baseline of the wait family's default; block and
// nonblock x first, middle, last at the same N (but N = 1) match its position sweep.
#include <algorithm>
#include <vector>

#include "backend.h"
#include "fd_pool.h"
#include "fds.h"
#include "registered_poller.h"
#include "timing.h"
#include "wait_families.h"

namespace pollbench::wait {

namespace {

constexpr int kTimeoutMs = 1000;  // as kWaitTimeout: finite so a lost event is an error, not a hang

// How the loop waits and which watched fd is the ready one.
struct Shape {
  WaitMode mode;
  Position position;
  int timeout_ms() const { return mode == WaitMode::block ? kTimeoutMs : 0; }
};

// What a raw baseline (backend.h) runs under: two untimed warm-up rounds, then one round per
// benchmark iteration, each making the target fd ready (untimed, the write_ns counter), then
// recording the timed wait, checking it saw exactly that fd, and draining it.
class RawRounds final : public RawHarness {
 public:
  RawRounds(benchmark::State& state, const char* mechanism, std::size_t watched, Shape shape)
      : state_(state), mechanism_(mechanism) {
    const FdPool& pool = shared_pool();
    const std::size_t target = ready_indices(watched, 1, shape.position).front();
    fd_ = pool.watched(target);
    peer_ = pool.peer(target);
  }

  bool next() override {
    if (warmups_ > 0) {
      write_byte(peer_);
      return true;
    }
    if (stopped_ || !state_.KeepRunning()) return false;
    writes_ = Clock::now();
    write_byte(peer_);
    return true;
  }

  void done(Clock::time_point start, Clock::time_point stop, const RawResult& r) override {
    if (warmups_ > 0) {
      --warmups_;
      read_one(fd_);
      return;
    }
    recorder_.record(state_, start, stop);
    recorder_.record_writes(writes_, start);
    recorder_.count_events(static_cast<std::size_t>(r.events));
    if (r.events != 1 || r.fd_sum != fd_) {
      state_.SkipWithError((std::string(mechanism_) + ": a wait returned " + std::to_string(r.events) +
                            " events, expected 1 (fd " + std::to_string(fd_) + ")")
                               .c_str());
      drain(fd_);  // leave the pool idle for the next run
      stopped_ = true;
      return;
    }
    read_one(fd_);
  }

  const IntervalRecorder& recorder() const { return recorder_; }

 private:
  benchmark::State& state_;
  const char* mechanism_;
  int fd_ = -1;
  int peer_ = -1;
  int warmups_ = 2;  // as in the wait family
  bool stopped_ = false;
  Clock::time_point writes_;
  IntervalRecorder recorder_;
};

void raw_benchmark(benchmark::State& state, const Backend& entry, Shape shape) {
  state.SetLabel(std::string("mode=") + mode_name(shape.mode) + " pos=" + position_name(shape.position));
  guarded(state, [&] {
    const auto watched = static_cast<std::size_t>(state.range(0));
    // A cached Poller still registered on these fds would add its kernel work to every write.
    forget_registered_poller();
    FdPool& pool = shared_pool();
    pool.ensure("socketpair", watched);
    std::vector<int> fds;
    for (std::size_t i = 0; i < watched; ++i) fds.push_back(pool.watched(i));
    RawRounds rounds(state, entry.traits.raw, watched, shape);
    entry.raw_baseline(fds, shape.timeout_ms(), rounds);
    rounds.recorder().report(state);
    state.SetComplexityN(static_cast<std::int64_t>(watched));
  });
}

// The first backend being run (and so known to work on this machine) of each raw family, by
// raw family name, in backends() order.
std::vector<const Backend*> raw_families(const Options& options) {
  std::vector<const Backend*> out;
  for (const std::string& name : options.backends) {
    const Backend& entry = backend_entry(name);
    if (entry.raw_baseline == nullptr) continue;
    const bool seen = std::any_of(out.begin(), out.end(),
                                  [&](const Backend* e) { return std::string_view(e->traits.raw) == entry.traits.raw; });
    if (!seen) out.push_back(&entry);
  }
  return out;
}

}  // namespace

void register_raw_family(const Plan& plan) {
  const Options& options = plan.options;
  const std::vector<std::size_t> reachable =
      reachable_points(options, "raw", "socketpair", options.quick ? 10000 : 1000000);
  const std::vector<std::size_t> decades = decades_of(reachable, options.quick);
  std::vector<std::size_t> points = decades;
  // N = 1,000 always, when reachable: the report's layer table pairs wait and raw at N = 1,
  // 1,000 and the largest N (--quick's decades skip it).
  if (std::find(reachable.begin(), reachable.end(), 1000) != reachable.end() &&
      std::find(points.begin(), points.end(), 1000) == points.end()) {
    points.insert(std::upper_bound(points.begin(), points.end(), std::size_t{1000}), 1000);
  }
  for (const Backend* entry : raw_families(options)) {
    const std::string backend = entry->traits.name;
    const MeasuredWaitCost& cost = plan.wait_cost.at(backend);  // the backend it is the baseline of
    auto add = [&](Shape shape, const std::vector<std::size_t>& at, bool fit_complexity) {
      if (at.empty()) return;
      const std::string name = std::string("raw/") + entry->traits.raw + "/socketpair/mode:" + mode_name(shape.mode) +
                               "/pos:" + position_name(shape.position);
      auto* b = benchmark::RegisterBenchmark(name.c_str(), raw_benchmark, std::cref(*entry), shape);
      b->ArgNames({"fds", "active"});
      for (std::size_t n : at) b->Args({static_cast<std::int64_t>(n), 1});
      if (fit_complexity) b->Complexity(benchmark::oAuto);
      std::vector<PointCost> costs;
      for (std::size_t n : at) costs.push_back({cost.estimate_ns(n, 1), plan.edge_ns_for(backend, "socketpair")});
      apply_common_settings(b, plan, costs);
    };
    add({WaitMode::block, Position::spread}, points, true);
    // One fd has no position: the position points leave out N = 1.
    std::vector<std::size_t> positioned = decades;
    std::erase_if(positioned, [](std::size_t n) { return n < 2; });
    for (WaitMode mode : {WaitMode::block, WaitMode::nonblock}) {
      for (Position position : {Position::first, Position::middle, Position::last}) add({mode, position}, positioned, false);
    }
  }
}

}  // namespace pollbench::wait
