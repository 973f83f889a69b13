// The open loop's send times for one worker: request j is due at start + j / rate, whatever
// happened to the earlier ones. The schedule reads no clock: every call takes `now`, so it runs
// on whatever clock the caller has (CLOCK_MONOTONIC in the worker, made-up times in the tests).
//
// After a stall (the worker was descheduled, or busy), every request whose time has passed is
// due at once, each with its own intended time: loadgen sends them late and counts their
// latency from when they should have left (no coordinated omission), rather than skipping them
// or shifting the schedule.
#pragma once

#include <cstdint>

namespace pollbench::loadgen {

class OpenLoopSchedule {
 public:
  // `rate_per_s` > 0: requests per second from this schedule.
  explicit OpenLoopSchedule(double rate_per_s = 1);

  // Request 0 is due at `start_ns`.
  void start(std::int64_t start_ns);
  double interval_ns() const { return interval_ns_; }
  // When the next request is due.
  std::int64_t next_ns() const { return next_ns_; }
  // Requests taken so far.
  std::uint64_t taken() const { return next_; }

  // If the next request is due at `now_ns` (its time <= now), sets *intended_ns to its time,
  // moves on to the one after and returns true.
  bool pop_due(std::int64_t now_ns, std::int64_t* intended_ns);

 private:
  double interval_ns_;
  std::int64_t start_ns_ = 0;
  std::uint64_t next_ = 0;
  std::int64_t next_ns_ = 0;
};

}  // namespace pollbench::loadgen
