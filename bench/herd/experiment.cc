#include "experiment.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "error.h"

namespace pollbench::herd {
namespace {

using Clock = std::chrono::steady_clock;

// After the last accept, how long the threads keep counting: wakeups the last connection
// caused in threads that had not run yet still belong to this run.
constexpr std::chrono::milliseconds kSettle{10};
// A connection not accepted by then means a mode lost a wakeup: an error, not a slow run.
constexpr std::chrono::seconds kAcceptDeadline{10};

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}


// The client writes when it called connect() into the slot of its own port; the thread that
// accepts the connection reads its peer's port and takes the time out. A port stays with its
// socket until the run ends (the client closes nothing before), so slots never collide.
struct ConnectTimes {
  std::array<std::atomic<std::uint64_t>, 65536> by_port{};
};

// Everything the threads share during one run.
struct Shared {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<int> ready_threads{0};
  ConnectTimes times;
  std::mutex failure_lock;
  std::exception_ptr failure;

  void fail_with(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(failure_lock);
    if (!failure) failure = e;
    stop = true;
  }
};

struct ThreadCounts {
  std::uint64_t accepted = 0;
  std::uint64_t wakeups = 0;
  std::uint64_t wasted = 0;
  std::uint64_t sleeps = 0;  // times the thread blocked, the last one (ended by stop) left out
  Histogram accept_ns;
  std::vector<int> accepted_fds;  // closed after the run, so closing costs nothing inside it
};

// Times the calling thread gave up the CPU to block. A thread woken in the kernel that finds
// nothing ready (epoll and poll check again before they return) blocks again: that shows
// here, not in the thread's count of returns.
long voluntary_switches() {
  rusage usage{};
  if (::getrusage(RUSAGE_THREAD, &usage) < 0) throw_errno("getrusage RUSAGE_THREAD");
  return usage.ru_nvcsw;
}

// The accepting thread: wait, then accept4 until EAGAIN (the edge-triggered modes need the
// drain, and every mode gets the same loop so that the counts compare).
void accept_loop(const Setup& setup, int index, Shared& shared, ThreadCounts& counts) {
  try {
    const std::unique_ptr<Waiter> waiter = setup.make_waiter(index);
    const int listener = waiter->listener();
    const long switches_before = voluntary_switches();
    shared.ready_threads.fetch_add(1);
    for (;;) {
      if (waiter->wait() == WaitOutcome::stop) break;
      ++counts.wakeups;
      std::uint64_t got = 0;
      for (;;) {
        sockaddr_in peer{};
        socklen_t length = sizeof peer;
        const int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) break;
          if (errno == EINTR || errno == ECONNABORTED) continue;
          throw_errno("accept4");
        }
        const std::uint64_t accepted_at = now_ns();
        const std::uint64_t connected_at = shared.times.by_port[ntohs(peer.sin_port)].exchange(0);
        if (connected_at != 0 && accepted_at > connected_at) counts.accept_ns.record(accepted_at - connected_at);
        counts.accepted_fds.push_back(fd);
        ++got;
      }
      if (got == 0) ++counts.wasted;
      counts.accepted += got;
      shared.accepted.fetch_add(got);
    }
    // Every block but the last ended in a wakeup; the last ended in the stop, which comes well
    // after the last connection (kSettle), when every thread is back in its wait.
    const long blocks = voluntary_switches() - switches_before;
    counts.sleeps = blocks > 0 ? static_cast<std::uint64_t>(blocks - 1) : 0;
  } catch (...) {
    shared.fail_with(std::current_exception());
  }
}

// Closes with a reset (SO_LINGER 0), so that thousands of runs leave no TIME_WAIT behind.
void close_reset(int fd) {
  linger abort{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::close(fd);
}

class Client {
 public:
  Client(std::uint16_t port, Shared& shared) : shared_(shared) {
    server_.sin_family = AF_INET;
    server_.sin_port = htons(port);
    server_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  ~Client() {
    for (int fd : fds_) close_reset(fd);
  }

  // One blocking connect: on loopback the handshake completes inside the call, so the
  // connection is in the accept queue when it returns.
  void connect_one() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw_errno("client socket");
    fds_.push_back(fd);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) throw_errno("client bind");
    socklen_t length = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) < 0) throw_errno("client getsockname");
    shared_.times.by_port[ntohs(local.sin_port)].store(now_ns());
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&server_), sizeof server_) < 0) throw_errno("connect");
  }

  std::size_t made() const { return fds_.size(); }

  // Until every connection made so far is accepted (false on a thread's failure).
  bool wait_accepted() const {
    const auto deadline = Clock::now() + kAcceptDeadline;
    while (shared_.accepted.load() < fds_.size()) {
      if (shared_.stop.load()) return false;
      if (Clock::now() > deadline) {
        throw std::runtime_error("herd: " + std::to_string(fds_.size() - shared_.accepted.load()) + " of " +
                                 std::to_string(fds_.size()) + " connections not accepted after " +
                                 std::to_string(kAcceptDeadline.count()) + " s");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return true;
  }

 private:
  Shared& shared_;
  sockaddr_in server_{};
  std::vector<int> fds_;
};

void sleep_until(Clock::time_point when) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  // steady_clock is CLOCK_MONOTONIC on Linux.
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

void drive(Client& client, int threads, const Load& load) {
  const auto start = Clock::now();
  if (load.arrival == Arrival::steady) {
    const double period_ns = 1e9 / load.rate;
    for (std::size_t i = 0; i < load.connections; ++i) {
      // Open loop: each connection has its time on the schedule whether or not the last was accepted.
      sleep_until(start + std::chrono::nanoseconds(static_cast<std::int64_t>(period_ns * static_cast<double>(i))));
      client.connect_one();
    }
    client.wait_accepted();
    return;
  }
  for (std::size_t b = 0; b < load.bursts; ++b) {
    for (int i = 0; i < threads; ++i) client.connect_one();
    if (!client.wait_accepted()) return;
    // Lets every woken thread go back to its wait, so each burst meets a sleeping herd.
    std::this_thread::sleep_for(load.burst_gap);
  }
}

}  // namespace

std::string_view name_of(Arrival arrival) { return arrival == Arrival::steady ? "steady" : "burst"; }

double Result::busiest_share() const {
  if (connections == 0 || per_thread.empty()) return 0;
  return static_cast<double>(*std::max_element(per_thread.begin(), per_thread.end())) / static_cast<double>(connections);
}

double Result::jain_index() const {
  double sum = 0;
  double squares = 0;
  for (std::uint64_t x : per_thread) {
    sum += static_cast<double>(x);
    squares += static_cast<double>(x) * static_cast<double>(x);
  }
  if (squares == 0) return 0;
  return sum * sum / (static_cast<double>(per_thread.size()) * squares);
}

Result run(Mode mode, int threads, const Load& load) {
  Setup setup(mode, threads);
  auto shared = std::make_unique<Shared>();  // 512 KiB of connect times: not on the stack
  std::vector<ThreadCounts> counts(static_cast<std::size_t>(threads));
  std::vector<std::thread> workers;
  workers.reserve(counts.size());
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back(accept_loop, std::cref(setup), i, std::ref(*shared), std::ref(counts[static_cast<std::size_t>(i)]));
  }
  Result result;
  std::exception_ptr client_failure;
  {
    Client client(setup.port(), *shared);
    try {
      while (shared->ready_threads.load() < threads && !shared->stop.load()) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      // Each thread is counted ready just before its first wait: give the last ones time to block.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      const auto start = Clock::now();
      drive(client, threads, load);
      result.elapsed = Clock::now() - start;
      std::this_thread::sleep_for(kSettle);
    } catch (...) {
      client_failure = std::current_exception();
    }
    shared->stop = true;
    setup.stop();
    for (std::thread& t : workers) t.join();
    // The client's sockets close (with a reset) here, before the accepted ends below.
  }
  for (ThreadCounts& c : counts) {
    for (int fd : c.accepted_fds) close_reset(fd);
  }
  if (shared->failure) std::rethrow_exception(shared->failure);
  if (client_failure) std::rethrow_exception(client_failure);

  for (const ThreadCounts& c : counts) {
    result.connections += c.accepted;
    result.wakeups += c.wakeups;
    result.wasted += c.wasted;
    result.sleeps += c.sleeps;
    result.per_thread.push_back(c.accepted);
    result.accept_ns.merge(c.accept_ns);
  }
  return result;
}

}  // namespace pollbench::herd
