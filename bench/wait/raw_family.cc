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
#include <liburing.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <system_error>

#include "families.h"
#include "fd_pool.h"
#include "fds.h"
#include "io_uring_ring.h"
#include "registered_poller.h"
#include "timing.h"

namespace pollbench::wait {

namespace {

constexpr int kTimeoutMs = 1000;  // as kWaitTimeout: finite so a lost event is an error, not a hang

// How the loop waits and which watched fd is the ready one.
struct Shape {
  WaitMode mode;
  Position position;
  int timeout_ms() const { return mode == WaitMode::block ? kTimeoutMs : 0; }
};

struct Result {
  int events;
  long fd_sum;  // what the dispatch saw, checked against the active fd
};

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// The loop every mechanism shares; `wait_and_scan` is the timed interval.
template <typename WaitAndScan>
void raw_loop(benchmark::State& state, const char* mechanism, std::size_t watched, Shape shape,
              WaitAndScan&& wait_and_scan) {
  const FdPool& pool = shared_pool();
  const std::size_t target = ready_indices(watched, 1, shape.position).front();
  const int fd = pool.watched(target);
  IntervalRecorder recorder;
  for (int i = 0; i < 2; ++i) {  // warm-up, untimed, as in the wait family
    write_byte(pool.peer(target));
    benchmark::DoNotOptimize(wait_and_scan());
    read_one(fd);
  }
  for (auto _ : state) {
    const auto writes = Clock::now();
    write_byte(pool.peer(target));
    const auto start = Clock::now();
    const Result r = wait_and_scan();
    benchmark::DoNotOptimize(r);
    const auto stop = Clock::now();
    recorder.record(state, start, stop);
    recorder.record_writes(writes, start);
    recorder.count_events(static_cast<std::size_t>(r.events));
    if (r.events != 1 || r.fd_sum != fd) {
      state.SkipWithError((std::string(mechanism) + ": a wait returned " + std::to_string(r.events) +
                           " events, expected 1 (fd " + std::to_string(fd) + ")")
                              .c_str());
      drain(fd);  // leave the pool idle for the next run
      break;
    }
    read_one(fd);
  }
  recorder.report(state);
  state.SetComplexityN(static_cast<std::int64_t>(watched));
}

void raw_select(benchmark::State& state, std::size_t watched, Shape shape) {
  using Word = unsigned long;
  constexpr std::size_t kBits = sizeof(Word) * CHAR_BIT;
  const FdPool& pool = shared_pool();
  int max_fd = -1;
  for (std::size_t i = 0; i < watched; ++i) max_fd = std::max(max_fd, pool.watched(i));
  const int nfds = max_fd + 1;
  const std::size_t words = (static_cast<std::size_t>(nfds) + kBits - 1) / kBits;
  std::vector<Word> interest(words, 0), ready(words, 0);
  for (std::size_t i = 0; i < watched; ++i) {
    const auto fd = static_cast<std::size_t>(pool.watched(i));
    interest[fd / kBits] |= Word{1} << (fd % kBits);
  }
  const int timeout_ms = shape.timeout_ms();
  raw_loop(state, "select", watched, shape, [&] {
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};  // select may change it: set it every time
    int n;
    do {  // an interrupted wait is repeated, as an event loop does (see wait_for_events)
      std::copy_n(interest.begin(), words, ready.begin());
      n = ::select(nfds, reinterpret_cast<fd_set*>(ready.data()), nullptr, nullptr, &tv);
    } while (n < 0 && errno == EINTR);
    if (n < 0) fail("select");
    Result r{0, 0};
    for (std::size_t w = 0; w < words; ++w) {
      for (Word bits = ready[w]; bits != 0; bits &= bits - 1) {
        r.fd_sum += static_cast<long>(w * kBits) + __builtin_ctzl(bits);
        ++r.events;
      }
    }
    return r;
  });
}

void raw_poll(benchmark::State& state, std::size_t watched, Shape shape) {
  const FdPool& pool = shared_pool();
  std::vector<pollfd> fds;
  for (std::size_t i = 0; i < watched; ++i) fds.push_back(pollfd{pool.watched(i), POLLIN, 0});
  const int timeout_ms = shape.timeout_ms();
  raw_loop(state, "poll", watched, shape, [&] {
    int n;
    do n = ::poll(fds.data(), fds.size(), timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0) fail("poll");
    Result r{n, 0};
    for (std::size_t i = 0; n > 0 && i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      r.fd_sum += fds[i].fd;
      --n;
    }
    return r;
  });
}

void raw_epoll(benchmark::State& state, std::size_t watched, Shape shape) {
  const FdPool& pool = shared_pool();
  OwnedFd epfd(::epoll_create1(EPOLL_CLOEXEC));
  if (!epfd) fail("epoll_create1");
  for (std::size_t i = 0; i < watched; ++i) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = pool.watched(i);
    if (::epoll_ctl(epfd.get(), EPOLL_CTL_ADD, e.data.fd, &e) < 0) fail("epoll_ctl ADD");
  }
  epoll_event ready[2];  // one spare: a second event would show as a mismatch
  const int timeout_ms = shape.timeout_ms();
  raw_loop(state, "epoll", watched, shape, [&] {
    int n;
    do n = ::epoll_wait(epfd.get(), ready, 2, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0) fail("epoll_wait");
    Result r{n, 0};
    for (int i = 0; i < n; ++i) r.fd_sum += ready[i].data.fd;
    return r;
  });
}

void raw_io_uring(benchmark::State& state, std::size_t watched, Shape shape) {
  const FdPool& pool = shared_pool();
  io_uring ring{};
  // The io_uring backend's ring set-up (backends/io_uring_ring.h).
  RingSetup setup = RingSetup::plain;
  if (int rc = init_ring(&ring, 4096, 65536, RingSetup::defer_taskrun, &setup); rc < 0) {
    errno = -rc;
    fail("io_uring_queue_init_params");
  }
  struct RingGuard {
    io_uring* ring;
    ~RingGuard() { io_uring_queue_exit(ring); }
  } guard{&ring};
  for (std::size_t i = 0; i < watched; ++i) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (sqe == nullptr) {
      io_uring_submit(&ring);
      sqe = io_uring_get_sqe(&ring);
    }
    io_uring_prep_poll_multishot(sqe, pool.watched(i), POLLIN);
    io_uring_sqe_set_data64(sqe, static_cast<std::uint64_t>(pool.watched(i)));
  }
  if (int rc = io_uring_submit(&ring); rc < 0) {
    errno = -rc;
    fail("io_uring_submit");
  }
  const int timeout_ms = shape.timeout_ms();
  raw_loop(state, "io_uring", watched, shape, [&] {
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    int rc;
    do rc = io_uring_wait_cqes(&ring, &cqe, 1, &ts, nullptr);
    while (rc == -EINTR);
    if (rc < 0 && rc != -ETIME) {
      errno = -rc;
      fail("io_uring_wait_cqes");
    }
    Result r{0, 0};
    unsigned head = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      if (!(cqe->flags & IORING_CQE_F_MORE)) {
        errno = cqe->res < 0 ? -cqe->res : EPIPE;
        fail("io_uring multishot poll ended");  // never expected here; the Poller re-arms
      }
      r.fd_sum += static_cast<long>(cqe->user_data);
      ++r.events;
    }
    io_uring_cq_advance(&ring, static_cast<unsigned>(r.events));
    return r;
  });
}

struct Mechanism {
  const char* name;  // a BackendTraits::raw
  void (*run)(benchmark::State&, std::size_t, Shape);
};

void raw_benchmark(benchmark::State& state, const Mechanism& mechanism, Shape shape) {
  state.SetLabel(std::string("mode=") + mode_name(shape.mode) + " pos=" + position_name(shape.position));
  guarded(state, [&] {
    const auto watched = static_cast<std::size_t>(state.range(0));
    // A cached Poller still registered on these fds would add its kernel work to every write.
    forget_registered_poller();
    shared_pool().ensure("socketpair", watched);
    mechanism.run(state, watched, shape);
  });
}

}  // namespace

void register_raw_family(const Plan& plan) {
  const Options& options = plan.options;
  static const std::vector<Mechanism> mechanisms{
      {"select", raw_select},
      {"poll", raw_poll},
      {"epoll", raw_epoll},
      {"io_uring", raw_io_uring},
  };
  const std::vector<std::size_t> points =
      decades_of(reachable_points(options, "raw", "socketpair", options.quick ? 10000 : 1000000), options.quick);
  for (const Mechanism& m : mechanisms) {
    // A baseline only for the backends being run (and so known to work on this machine) whose
    // traits name this raw family.
    const auto wanted = std::find_if(options.backends.begin(), options.backends.end(), [&](const std::string& b) {
      return std::string_view(backend_info(b).traits.raw) == m.name;
    });
    if (wanted == options.backends.end()) continue;
    const WaitCost& cost = plan.wait_cost.at(*wanted);  // the backend it is the baseline of
    auto add = [&](Shape shape, const std::vector<std::size_t>& at, bool fit_complexity) {
      if (at.empty()) return;
      const std::string name = std::string("raw/") + m.name + "/socketpair/mode:" + mode_name(shape.mode) +
                               "/pos:" + position_name(shape.position);
      auto* b = benchmark::RegisterBenchmark(name.c_str(), raw_benchmark, m, shape);
      b->ArgNames({"fds", "active"});
      for (std::size_t n : at) b->Args({static_cast<std::int64_t>(n), 1});
      if (fit_complexity) b->Complexity(benchmark::oAuto);
      std::vector<PointCost> costs;
      for (std::size_t n : at) costs.push_back({cost.estimate_ns(n, 1), plan.edge_ns_for(*wanted, "socketpair")});
      apply_common_settings(b, plan, costs);
    };
    add({WaitMode::block, Position::spread}, points, true);
    // One fd has no position: the position points leave out N = 1.
    std::vector<std::size_t> positioned = points;
    std::erase_if(positioned, [](std::size_t n) { return n < 2; });
    for (WaitMode mode : {WaitMode::block, WaitMode::nonblock}) {
      for (Position position : {Position::first, Position::middle, Position::last}) add({mode, position}, positioned, false);
    }
  }
}

}  // namespace pollbench::wait
