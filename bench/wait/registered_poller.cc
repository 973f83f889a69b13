#include "registered_poller.h"

#include <stdexcept>

namespace pollbench::wait {

namespace {

struct Cached {
  std::string backend;
  std::string kind;
  unsigned pool_generation = 0;
  std::unique_ptr<Poller> poller;
};

Cached& cache() {
  static Cached cached;
  return cached;
}

}  // namespace

Poller& registered_poller(const std::string& backend, const std::string& kind, std::size_t n) {
  FdPool& pool = shared_pool();
  pool.ensure(kind, n);
  Cached& c = cache();
  const bool reusable = c.poller && c.backend == backend && c.kind == kind &&
                        c.pool_generation == pool.generation() && c.poller->watched() <= n;
  if (!reusable) {
    c.poller.reset();  // close the old epoll fd or ring before opening another
    c.poller = make_poller(backend);
    c.backend = backend;
    c.kind = kind;
    c.pool_generation = pool.generation();
  }
  for (std::size_t i = c.poller->watched(); i < n; ++i) c.poller->add(pool.watched(i), Interest::readable, i);
  return *c.poller;
}

void forget_registered_poller() { cache().poller.reset(); }

const char* mode_name(WaitMode mode) { return mode == WaitMode::block ? "block" : "nonblock"; }

std::chrono::nanoseconds wait_timeout(WaitMode mode) {
  return mode == WaitMode::block ? kWaitTimeout : std::chrono::nanoseconds::zero();
}

std::size_t wait_for_events(Poller& poller, Events& events, WaitMode mode) {
  const std::chrono::nanoseconds timeout = wait_timeout(mode);
  std::size_t n = poller.wait(events, timeout);
  if (n != 0) return n;  // the usual case: no clock read inside the timed interval
  const auto deadline = std::chrono::steady_clock::now() + kWaitTimeout;
  while (n == 0 && std::chrono::steady_clock::now() < deadline) n = poller.wait(events, timeout);
  return n;
}

void expect_quiet(Poller& poller, std::size_t capacity) {
  Events events(capacity);
  const std::size_t n = poller.wait(events, std::chrono::nanoseconds::zero());
  if (n != 0) {
    throw std::runtime_error(std::string(poller.name()) + ": " + std::to_string(n) +
                             " events pending before the run, expected none (fd " + std::to_string(events[0].fd) + ")");
  }
}

}  // namespace pollbench::wait
