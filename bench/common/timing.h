// What every family of wait_bench and watched_bench measures the same way: one clock, read around exactly the timed interval
// and handed to Google Benchmark with SetIterationTime (UseManualTime), and the per-interval
// histogram behind the p50/p99/p99.9/max counters.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "histogram.h"

namespace pollbench {

// CLOCK_MONOTONIC through the vDSO: no system call, comparable across CPUs (the wakeup family
// reads it on two).
using Clock = std::chrono::steady_clock;

inline std::uint64_t elapsed_ns(Clock::time_point from, Clock::time_point to) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count();
  return ns < 0 ? 0 : static_cast<std::uint64_t>(ns);
}

// The median cost of one Clock::now(), measured back to back: the floor under every interval.
double measure_clock_read_ns();

// Collects every timed interval of one benchmark run and reports it.
class IntervalRecorder {
 public:
  IntervalRecorder() : histogram_(std::make_unique<Histogram>()) {}

  // Hands the interval to Google Benchmark and the histogram.
  void record(benchmark::State& state, Clock::time_point start, Clock::time_point stop) {
    const std::uint64_t ns = elapsed_ns(start, stop);
    state.SetIterationTime(static_cast<double>(ns) * 1e-9);
    histogram_->record(ns);
  }
  void count_events(std::size_t n) { events_ += n; }
  // Untimed: the writes that made the fds ready. Readiness work a backend does in the writer's
  // system call (epoll queues the fd, io_uring posts its completion there) lands here, not in
  // the timed wait, so the results show it as the write_ns counter.
  void record_writes(Clock::time_point start, Clock::time_point stop) { write_ns_ += elapsed_ns(start, stop); }

  // Sets p50_ns, p99_ns, p999_ns, max_ns, events (ready events per interval) and, when writes
  // were recorded, write_ns (per iteration).
  void report(benchmark::State& state) const;

 private:
  std::unique_ptr<Histogram> histogram_;
  std::uint64_t events_ = 0;
  std::uint64_t write_ns_ = 0;
};

// Runs `body`, turning any exception into SkipWithError so one failing benchmark (an fd
// limit, a backend error) names its problem in the results instead of ending the run.
template <typename Body>
void guarded(benchmark::State& state, Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

}  // namespace pollbench
