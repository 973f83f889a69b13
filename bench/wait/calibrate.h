// Run length. Google Benchmark stops a benchmark when the *timed* intervals add up to its min
// time, and it picks the iteration count once, from trials that start at one iteration, for
// all repetitions. Every iteration here also does untimed work (the writes and reads that make
// fds ready), which for a wait that makes no system call (io_uring_plain's) is many times the
// timed part, while one select over 20,000 fds takes milliseconds. One min time for all would make the cheap waits run for
// minutes and leave the costly ones a single sample.
//
// So a few milliseconds at start-up measure, on this machine, what a wait and an untimed edge
// cost, and each family gets the min time that makes its points last about a given wall time
// on average. A family's min time is one figure for all its N, so its cheap points get
// thousands of samples and its costliest ones (20,000 fds, all ready: every iteration writes
// and reads 20,000 bytes) may get one per repetition; the repetitions still give each point
// several. Each benchmark runs two untimed warm-up iterations first, so Google Benchmark's
// one-iteration first trial is not a cold one. This only decides how many iterations run;
// what each iteration times is untouched.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pollbench::wait {

// One wait's cost on this machine, as the linear model the sizing needs:
// wait(N, A) = base + (N - 1) * per_watched + (A - 1) * per_event.
struct MeasuredWaitCost {
  double base_ns = 0;         // one wait reporting the only fd watched (timed)
  double per_watched_ns = 0;  // what each further idle watched fd adds (select, poll)
  double per_event_ns = 0;    // what each further ready fd adds
  // Untimed: one fresh edge (write to the peer, read back) on socketpair fds while this
  // backend watches them; io_uring's completion is posted inside the write, epoll's ready-list
  // entry too, so this differs by backend.
  double edge_ns = 0;
  double estimate_ns(std::size_t watched, std::size_t active) const;
};

// Measured on socketpair fds with N = 1 and N = 64.
MeasuredWaitCost measure_wait_cost(const std::string& backend);
// One fresh edge of `kind` with no poller watching: a one-byte write to the peer and the read
// that drains it (untimed). What a kind adds over socketpair is taken to be the same whichever
// backend watches.
double measure_edge_ns(const std::string& kind);

// What one iteration of a benchmark point is expected to cost.
struct PointCost {
  double timed_ns;
  double untimed_ns;
};

// The min time (seconds of timed intervals) for a family of points, run `repetitions` times:
// on average a point lasts about `wall_budget_s`, and the costliest point gets at least a
// couple of iterations when that fits. Adds the family's expected wall time to
// planned_wall_s().
double size_family(const std::vector<PointCost>& points, int repetitions, double wall_budget_s);
// The sum of what size_family() expects, in seconds.
double planned_wall_s();

}  // namespace pollbench::wait
