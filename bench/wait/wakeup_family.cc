// Family `wakeup`: what a server feels. The benchmark thread blocks in wait() with N idle
// socketpair fds registered; a writer thread, pinned to another CPU, waits until the benchmark
// thread is really asleep (its /proc state is 'S'), reads the clock and writes one byte to the
// middle fd's peer. Timed: from that clock read, just before the write, to wait() returning on
// the benchmark thread -- the wakeup, the cross-CPU IPI, the scheduler and the backend's work
// after waking (select and poll scan all N fds again; epoll and io_uring hand over their
// ready entries). Both clock reads are CLOCK_MONOTONIC, which is one clock on every CPU.
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <cerrno>
#include <fcntl.h>
#include <stdexcept>
#include <thread>

#include "error.h"
#include "wait_families.h"
#include "fd_pool.h"
#include "fds.h"
#include "registered_poller.h"
#include "run_context.h"
#include "timing.h"

namespace pollbench::wait {

namespace {

// What sizes the runs: a cross-CPU wakeup costs tens of microseconds, and each iteration
// spends about three times that untimed (waking the writer, its wait for the waiter to sleep,
// the read), plus the waiter's first scan on the way to sleep.
constexpr double kWakeupNs = 20000;
constexpr double kUntimedPerTimed = 3.0;

// The other thread: on each request, waits for the waiter to sleep, then writes.
class Writer {
 public:
  Writer(int cpu, pid_t waiter_tid) : stat_fd_(open_stat(waiter_tid)) {
    thread_ = std::thread([this, cpu] { run(cpu); });
  }
  ~Writer() {
    stop_.store(true);
    request_.fetch_add(1);
    request_.notify_one();
    thread_.join();
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Asks for one byte on `fd` once the waiter sleeps; returns at once.
  void request(int fd) {
    fd_.store(fd, std::memory_order_relaxed);
    request_.fetch_add(1, std::memory_order_release);
    request_.notify_one();
  }
  // The clock read just before the last write (valid once the waiter has seen the byte).
  Clock::time_point write_started() const {
    return Clock::time_point(Clock::duration(started_.load(std::memory_order_acquire)));
  }
  // Why the writer could not do its part, or empty.
  std::string failure() const {
    std::lock_guard lock(failure_mutex_);
    return failure_;
  }

 private:
  static OwnedFd open_stat(pid_t tid) {
    const std::string path = "/proc/self/task/" + std::to_string(tid) + "/stat";
    OwnedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open " + path);
    return fd;
  }

  // The waiter's scheduler state: 'R' running, 'S' asleep in a wait, ...
  char waiter_state() const {
    char buf[512];
    const ssize_t n = ::pread(stat_fd_.get(), buf, sizeof buf - 1, 0);
    if (n <= 0) return '?';
    const std::string_view stat(buf, static_cast<std::size_t>(n));
    const auto paren = stat.rfind(')');  // the command name may hold spaces and parentheses
    return paren == std::string_view::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
  }

  void note_failure(const std::string& why) {
    std::lock_guard lock(failure_mutex_);
    if (failure_.empty()) failure_ = why;
  }

  void run(int cpu) {
    try {
      pin_to_cpu(cpu);
    } catch (const std::exception& e) {
      note_failure(std::string("writer thread: ") + e.what());
    }
    std::uint64_t seen = 0;
    for (;;) {
      request_.wait(seen, std::memory_order_acquire);
      seen = request_.load(std::memory_order_acquire);
      if (stop_.load()) return;
      const auto deadline = Clock::now() + std::chrono::seconds(1);
      for (char state = waiter_state(); state != 'S'; state = waiter_state()) {
        if (Clock::now() > deadline) {
          note_failure(std::string("the waiting thread did not go to sleep within 1 s (its state: ") + state + ")");
          break;
        }
      }
      const auto start = Clock::now();
      started_.store(start.time_since_epoch().count(), std::memory_order_release);
      try {
        write_byte(fd_.load(std::memory_order_relaxed));
      } catch (const std::exception& e) {
        note_failure(std::string("writer thread: ") + e.what());
      }
    }
  }

  OwnedFd stat_fd_;
  std::atomic<std::uint64_t> request_{0};
  std::atomic<int> fd_{-1};
  std::atomic<Clock::rep> started_{0};
  std::atomic<bool> stop_{false};
  mutable std::mutex failure_mutex_;
  std::string failure_;
  std::thread thread_;
};

// The timed loop; returns an error, or "" when it ran to the end.
std::string run_wakeups(benchmark::State& state, const std::string& backend, Poller& poller, int watched_fd,
                        int peer_fd, Token token, Writer& writer, IntervalRecorder& recorder) {
  Events events(2);
  // Warm-up, untimed: the writer thread's first wakeup is slower (it has just been created).
  for (int i = 0; i < 2; ++i) {
    writer.request(peer_fd);
    if (wait_for_events(poller, events) != 1) return backend + ": warm-up wakeup lost";
    read_one(watched_fd);
  }
  for (auto _ : state) {
    writer.request(peer_fd);
    const std::size_t n = wait_for_events(poller, events);
    const auto stop = Clock::now();
    if (std::string why = writer.failure(); !why.empty()) return why;
    if (n != 1 || events[0].token != token) {
      return backend + ": woke with " + std::to_string(n) + " events, expected 1 (fd " + std::to_string(watched_fd) +
             ")";
    }
    recorder.record(state, writer.write_started(), stop);
    recorder.count_events(n);
    read_one(watched_fd);
  }
  return "";
}

void wakeup_benchmark(benchmark::State& state, const std::string& backend, int writer_cpu) {
  guarded(state, [&] {
    const auto watched = static_cast<std::size_t>(state.range(0));
    Poller& poller = registered_poller(backend, "socketpair", watched);
    const FdPool& pool = shared_pool();
    const std::size_t target = spread(watched, 1).front();
    expect_quiet(poller, 2);
    IntervalRecorder recorder;
    std::string error;
    {
      Writer writer(writer_cpu, static_cast<pid_t>(::syscall(SYS_gettid)));
      error = run_wakeups(state, backend, poller, pool.watched(target), pool.peer(target), target, writer, recorder);
    }  // the writer thread ends here
    // A run that failed may have left the writer's last byte behind: leave the pool idle.
    drain(pool.watched(target));
    if (!error.empty()) state.SkipWithError(error.c_str());
    recorder.report(state);
    state.SetComplexityN(static_cast<std::int64_t>(watched));
  });
}

}  // namespace

void register_wakeup_family(const Plan& plan) {
  const Options& options = plan.options;
  const std::vector<std::size_t> points =
      decades_of(reachable_points(options, "wakeup", "socketpair", options.quick ? 10000 : 1000000), options.quick);
  const int writer_cpu = other_cpu(options.cpu);
  for (const std::string& backend : options.backends) {
    auto* b = benchmark::RegisterBenchmark(("wakeup/" + backend).c_str(), wakeup_benchmark, backend, writer_cpu);
    b->ArgName("fds");
    for (std::size_t n : points) b->Arg(static_cast<std::int64_t>(n));
    b->Complexity(benchmark::oAuto);
    const MeasuredWaitCost& cost = plan.wait_cost.at(backend);
    std::vector<PointCost> costs;
    for (std::size_t n : points) {
      // select and poll scan every fd once to go to sleep and again after waking.
      const double timed = kWakeupNs + cost.estimate_ns(n, 1);
      costs.push_back({timed, kUntimedPerTimed * kWakeupNs + cost.estimate_ns(n, 1)});
    }
    apply_common_settings(b, plan, costs);
  }
}

}  // namespace pollbench::wait
