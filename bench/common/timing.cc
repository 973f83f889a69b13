#include "timing.h"

#include <algorithm>
#include <vector>

namespace pollbench {

double measure_clock_read_ns() {
  constexpr int kSamples = 200001;
  std::vector<std::int64_t> deltas;
  deltas.reserve(kSamples);
  for (int i = 0; i < kSamples; ++i) {
    const auto a = Clock::now();
    const auto b = Clock::now();
    deltas.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
  }
  std::nth_element(deltas.begin(), deltas.begin() + kSamples / 2, deltas.end());
  return static_cast<double>(deltas[kSamples / 2]);
}

void IntervalRecorder::report(benchmark::State& state) const {
  const auto value = [](std::uint64_t v) { return benchmark::Counter(static_cast<double>(v)); };
  state.counters["p50_ns"] = value(histogram_->percentile(50));
  state.counters["p99_ns"] = value(histogram_->percentile(99));
  state.counters["p999_ns"] = value(histogram_->percentile(99.9));
  state.counters["max_ns"] = value(histogram_->max());
  state.counters["events"] = benchmark::Counter(static_cast<double>(events_), benchmark::Counter::kAvgIterations);
  if (write_ns_ != 0) {
    state.counters["write_ns"] = benchmark::Counter(static_cast<double>(write_ns_), benchmark::Counter::kAvgIterations);
  }
}

}  // namespace pollbench
