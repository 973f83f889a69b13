// How long an active connection waits before it reopens, after `failures` attempts in a row
// that ended without an answer: at once after the first (a server may close a keep-alive
// connection any time), then `first_ns`, doubling up to `cap_ns`. A server that refuses or
// closes every connection then sees about one attempt per connection per `cap_ns`, not a storm.
#pragma once

#include <cstdint>

namespace pollbench::loadgen {

struct Backoff {
  std::int64_t first_ns = 10'000'000;   // 10 ms
  std::int64_t cap_ns = 1'000'000'000;  // 1 s

  constexpr std::int64_t delay_ns(unsigned failures) const {
    if (failures == 0) return 0;
    std::int64_t delay = first_ns;
    for (unsigned i = 1; i < failures && delay < cap_ns; ++i) delay *= 2;
    return delay < cap_ns ? delay : cap_ns;
  }
};

}  // namespace pollbench::loadgen
