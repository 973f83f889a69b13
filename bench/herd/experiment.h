// One herd run: T threads accept on 127.0.0.1 in one Mode while a client thread connects, and
// every return from a wait is counted. See docs/herd.md for what is counted and timed.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "histogram.h"
#include "modes.h"

namespace pollbench::herd {

enum class Arrival {
  steady,  // one connection every 1/rate s, on a fixed schedule (open loop)
  burst,   // T connections back to back; the next burst once all are accepted and a gap passed
};
std::string_view name_of(Arrival arrival);

struct Load {
  Arrival arrival = Arrival::steady;
  std::size_t connections = 1000;  // steady: how many
  double rate = 2000;              // steady: connections per second
  std::size_t bursts = 200;        // burst: how many bursts of T
  std::chrono::microseconds burst_gap{1000};  // burst: quiet time after each burst is accepted
};

struct Result {
  std::uint64_t connections = 0;  // accepted (equals the number the client made)
  std::uint64_t wakeups = 0;      // returns from a wait (the final one, for the stop, left out)
  std::uint64_t wasted = 0;       // wakeups whose accept4 found nothing (EAGAIN at once)
  // Times the threads were woken in the kernel, whether or not the wait returned: voluntary
  // context switches (each is a block that a wakeup ended), the final block, ended by the
  // stop, left out.
  std::uint64_t sleeps = 0;
  std::vector<std::uint64_t> per_thread;  // connections each thread accepted
  Histogram accept_ns;            // connect() call to accept4() return, per connection
  std::chrono::nanoseconds elapsed{};     // first connect to last accept

  double busiest_share() const;  // the largest per_thread share of connections, 0..1
  double jain_index() const;     // (sum x)^2 / (T * sum x^2): 1 = even, 1/T = one thread took all
};

// Runs it. Throws on any system error, or when the connections are not all accepted in time.
Result run(Mode mode, int threads, const Load& load);

}  // namespace pollbench::herd
