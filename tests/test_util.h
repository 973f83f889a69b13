// Helpers of the backend conformance suite: fixtures that make one backend (and one kind of
// fd pair), and mio-style bounded waits.
//
// A bounded wait waits up to kMaxWaits times until what it expects has been seen, so a
// spurious wakeup (a wait that returns nothing) or a slow, busy machine never fails a test,
// while a lost event fails it after a few seconds instead of hanging. A "quiet" check waits
// a short while and says what, if anything, was reported meanwhile.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>

#include "fds.h"
#include "poller.h"

namespace pollbench::conformance {

using namespace std::chrono_literals;

// Patience of a bounded wait: at most kMaxWaits waits of at most kPerWait each (5 s).
inline constexpr int kMaxWaits = 50;
inline constexpr std::chrono::milliseconds kPerWait{100};
// "Nothing more happens": kQuietWaits waits of kQuietWait each report nothing for the fd.
inline constexpr int kQuietWaits = 2;
inline constexpr std::chrono::milliseconds kQuietWait{20};

// What the waits of one check saw of one fd.
struct Report {
  std::set<Token> tokens;  // every token it was reported with
  std::uint8_t ready = 0;  // every Ready bit it was reported with
  int events = 0;          // how many events named it
  int waits = 0;           // how many waits reported it at least once
};
using Reports = std::map<int, Report>;  // by fd

// Adds the events of one wait to `reports`.
void collect(const Events& events, Reports& reports);

// Waits until `done(reports)` holds, at most `max_waits` waits of `per_wait` each.
Reports wait_until(Poller& poller, Events& events, const std::function<bool(const Reports&)>& done,
                   int max_waits = kMaxWaits, std::chrono::nanoseconds per_wait = kPerWait);
// Waits until `fd` has been reported with every bit of `bits` (0: with anything).
Reports wait_for(Poller& poller, Events& events, int fd, std::uint8_t bits = 0);
// Exactly one wait.
Reports wait_once(Poller& poller, Events& events, std::chrono::nanoseconds timeout = kPerWait);
// kQuietWaits waits of kQuietWait: what happened meanwhile.
Reports wait_quietly(Poller& poller, Events& events);

bool reported(const Reports& reports, int fd, std::uint8_t bits = 0);
// "fd 12 {token 7, readable|hangup, 1 event in 1 wait}; ..." for failure messages.
std::string describe(const Reports& reports);
std::string describe_ready(std::uint8_t ready);

// Writes to the non-blocking `fd` until it would block. Returns the bytes written.
std::size_t fill(int fd);

// One backend, made fresh for each test; skipped, with the reason, where it cannot run.
class PollerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  const std::string& backend() const { return GetParam(); }
  bool edge_triggered() const { return poller->trigger() == Poller::Trigger::edge; }

  std::unique_ptr<Poller> poller;
  Events events{64};
};

// One backend watching one kind of fd pair ("pipe", "socketpair", "tcp"). For a pipe `a` is
// the read end and `b` the write end; data written to `b` makes `a` readable.
class PairTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  void SetUp() override;
  const std::string& backend() const { return std::get<0>(GetParam()); }
  const std::string& kind() const { return std::get<1>(GetParam()); }
  bool edge_triggered() const { return poller->trigger() == Poller::Trigger::edge; }

  std::unique_ptr<Poller> poller;
  Events events{64};
  FdPair pair;
};

// Why `backend` cannot run here, or nullptr when it can.
const std::string* unavailable_reason(const std::string& backend);

}  // namespace pollbench::conformance
