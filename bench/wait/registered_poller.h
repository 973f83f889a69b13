// A poller with the first N watched fds of the shared pool registered for reading, token =
// index. Kept from one benchmark run to the next (Google Benchmark calls a benchmark once per
// iteration-count trial and once per repetition), and grown in place as N rises through a
// family, so registering 19,000 fds is not repeated for every run.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "fd_pool.h"
#include "poller.h"

namespace pollbench::wait {

// Returns the cached poller of `backend` with exactly watched fds 0..n-1 of `kind` registered,
// making the pool and the poller as needed. Throws FdLimitError when the pool cannot grow.
Poller& registered_poller(const std::string& backend, const std::string& kind, std::size_t n);

// Drops the cached poller (a family that leaves registrations changed calls it).
void forget_registered_poller();

// The wait with which every family asks "what is ready?" when something should be: long
// enough never to give up early on a loaded machine, finite so a lost event shows as an error
// instead of a hang. Blocking (not zero) is what an event loop passes, and it matters: with a
// nonzero timeout select and poll enqueue themselves on each fd they pass before finding a
// ready one.
inline constexpr std::chrono::nanoseconds kWaitTimeout = std::chrono::seconds(1);

// How a wait is asked for, when the fds it should report are already ready:
//   block     timeout kWaitTimeout, what an event loop that sleeps until something happens
//             passes; select and poll queue the waiter on each fd they check before the first
//             ready one
//   nonblock  timeout 0, what a busy-polling loop pays: nothing is queued, whatever the
//             position of the ready fds
enum class WaitMode { block, nonblock };
const char* mode_name(WaitMode mode);  // "block", "nonblock"
std::chrono::nanoseconds wait_timeout(WaitMode mode);

// Waits as an event loop does: a wait that returns no events was interrupted (by a signal, or
// by task work the kernel queued for this thread, e.g. from an io_uring ring being torn down:
// epoll_wait and poll then fail with EINTR, which the Poller reports as zero events), so it is
// repeated (with the same timeout), for up to kWaitTimeout in all. Returns the events of the
// first wait that has some, or 0 when the time is up.
std::size_t wait_for_events(Poller& poller, Events& events, WaitMode mode = WaitMode::block);

// Checks that nothing is pending before a run starts (a wait with timeout 0 returns no
// events); throws naming what was found otherwise.
void expect_quiet(Poller& poller, std::size_t capacity);

}  // namespace pollbench::wait
