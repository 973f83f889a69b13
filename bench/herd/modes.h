// The ways T accepting threads can share one listening port (issue 11, the thundering herd).
//
// Each mode says what a thread blocks on before it calls accept4() on a non-blocking listening
// socket. The modes are about how the kernel wakes waiters, which is mechanism-specific by
// nature, so each mode talks to its mechanism directly here rather than through Poller: the
// Poller interface has no way to share one instance between threads or to ask for
// EPOLLEXCLUSIVE, and must not grow one just for this experiment.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "accept_modes.h"
#include "fd.h"

namespace pollbench::herd {

// The modes and their names live in the registry pollserver --accept shares (accept_modes.h).
using Mode = pollbench::AcceptMode;
using ModeInfo = pollbench::AcceptModeInfo;
using pollbench::name_of;
// Every mode, in a fixed order (the order of the sweep and of --help).
const std::array<ModeInfo, pollbench::kAcceptModes.size()>& modes();
// Throws std::invalid_argument listing the valid names.
Mode mode_by_name(std::string_view name);
// Empty when `mode` runs here, else why not (io_uring may be missing or forbidden).
std::string unavailable_reason(Mode mode);

// What one return from a wait was.
enum class WaitOutcome {
  ready,    // the mechanism said the listener is readable
  nothing,  // it returned without saying so (EINTR, a spurious completion)
  stop,     // the run is over (Setup::stop): the only return that is not a wakeup
};

// What one thread blocks on, without a timeout: an idle thread that woke now and then to look
// at a flag would move itself to the front of epoll's queue of waiters and change who gets the
// next connection: even a 20 ms timeout evens out the spread between threads that the shared
// epoll modes are there to show (measured when herd_bench was written, commit 6d587b8).
// Made in the thread that uses it.
class Waiter {
 public:
  virtual ~Waiter() = default;
  virtual WaitOutcome wait() = 0;
  // The listening socket this thread accepts from.
  virtual int listener() const = 0;
};

// The listening socket(s) on 127.0.0.1 and whatever the threads share, for one mode and T.
// Every listener is non-blocking; backlog as large as the kernel allows.
class Setup {
 public:
  Setup(Mode mode, int threads);
  ~Setup();
  Setup(const Setup&) = delete;
  Setup& operator=(const Setup&) = delete;

  std::uint16_t port() const { return port_; }
  // Wakes every waiter for good: an eventfd each waits on beside the listener turns readable
  // (level-triggered everywhere, so in a shared epoll instance one waiter's return passes the
  // wakeup on to the next).
  void stop();
  // The waiter of thread `index` (0 .. threads-1). Call it from that thread.
  std::unique_ptr<Waiter> make_waiter(int index) const;

 private:
  Mode mode_;
  std::uint16_t port_ = 0;
  std::vector<OwnedFd> listeners_;  // one, or one per thread with reuseport
  OwnedFd shared_epoll_;            // shared_epoll_* only
  OwnedFd stop_;                    // an eventfd
};

}  // namespace pollbench::herd
