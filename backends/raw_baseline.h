// A backend's raw baseline: its mechanism's wait loop written straight against the system
// calls, without the Poller interface (no virtual call, no Events buffer, no fd -> token
// lookup), so that bench/wait's raw family can show what the interface costs. The backend's
// file holds the loop (its hook in backend.h); the benchmark drives it through RawHarness.
//
// One round: the harness makes one watched fd ready (untimed), the loop waits and scans
// (timed, the clock read right around it), then the harness checks and drains (untimed).
#pragma once

#include <chrono>
#include <span>

namespace pollbench {

// What one timed wait saw: how many events, and the sum of their fds, which the harness
// checks against the fd it made ready.
struct RawResult {
  int events;
  long fd_sum;
};

class RawHarness {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~RawHarness() = default;
  // Before each wait (untimed): makes the fd ready; false when the run is over.
  virtual bool next() = 0;
  // After each wait (untimed): when it started and stopped and what it saw.
  virtual void done(Clock::time_point start, Clock::time_point stop, const RawResult& result) = 0;
};

// Sets up the mechanism over `watched` (readable interest; each fd's event must carry the fd),
// then runs rounds until harness.next() says stop. A wait blocks up to timeout_ms (0: returns
// at once); an interrupted one is repeated, as an event loop does. Throws std::system_error
// when a system call fails.
using RawBaseline = void (*)(std::span<const int> watched, int timeout_ms, RawHarness& harness);

// The rounds every raw baseline runs; `wait_and_scan` is the timed interval, returning RawResult.
template <typename WaitAndScan>
void run_raw_rounds(RawHarness& harness, WaitAndScan&& wait_and_scan) {
  while (harness.next()) {
    const auto start = RawHarness::Clock::now();
    const RawResult result = wait_and_scan();
    // Keeps the scan inside the timed interval: Google Benchmark's DoNotOptimize(const T&).
    asm volatile("" : : "r,m"(result) : "memory");
    const auto stop = RawHarness::Clock::now();
    harness.done(start, stop, result);
  }
}

}  // namespace pollbench
