#include "open_loop_schedule.h"

#include <cmath>

namespace pollbench::loadgen {

OpenLoopSchedule::OpenLoopSchedule(double rate_per_s) : interval_ns_(1e9 / rate_per_s) {}

void OpenLoopSchedule::start(std::int64_t start_ns) {
  start_ns_ = start_ns;
  next_ = 0;
  next_ns_ = start_ns;
}

bool OpenLoopSchedule::pop_due(std::int64_t now_ns, std::int64_t* intended_ns) {
  if (next_ns_ > now_ns) return false;
  *intended_ns = next_ns_;
  ++next_;
  // From the start every time, so rounding never accumulates over a long run.
  next_ns_ = start_ns_ + static_cast<std::int64_t>(std::llround(static_cast<double>(next_) * interval_ns_));
  return true;
}

}  // namespace pollbench::loadgen
