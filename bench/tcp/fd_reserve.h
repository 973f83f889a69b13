// What the server does at the fd limit, once per process.
//
// A connection left in the accept queue keeps a level-triggered listener ready forever, so a
// server out of fds must still take it off the queue: it gives up a spare fd (/dev/null, opened
// while there was room), accepts the connection into the freed slot and closes it at once.
// Every loop of one process shares one fd table, so they share one spare: with a spare per
// loop, one loop's freed slot is taken by another loop's accept and the spare is lost.
//
// Once any loop has hit the limit, every loop's accept goes through the reserve's lock
// (at_limit()), so no accept can take the slot between giving up the spare and reopening it.
// When the spare is gone all the same (a slot taken by an accept that began before the limit
// was seen), the loop stops accepting for kAcceptPause instead of spinning (Server), and the
// spare is opened again as soon as any loop closes a connection (refill_if_missing()).
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>

#include "fd.h"

namespace pollbench {

// How long a loop that can neither make room nor shed stops watching its listener.
inline constexpr std::chrono::milliseconds kAcceptPause{100};

class FdReserve {
 public:
  FdReserve();  // opens the spare (throws std::system_error when it cannot)
  FdReserve(const FdReserve&) = delete;
  FdReserve& operator=(const FdReserve&) = delete;

  // True once some loop hit the limit and until an accept queue was drained with the spare in
  // hand: accepts should then hold lock().
  bool at_limit() const { return at_limit_.load(std::memory_order_relaxed); }
  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mutex_); }
  void set_at_limit(bool value) { at_limit_.store(value, std::memory_order_relaxed); }

  // With lock() held: gives up the spare and accepts one connection from `listener` into its
  // slot (accept4 with `flags`). Returns the new fd, or -1 with `err` set: EAGAIN when nothing
  // is pending, EMFILE when there was no spare to give up. Either way, call reopen_spare()
  // next, once the caller has closed the new fd or made room elsewhere. (Linux fails accept
  // with EMFILE before it looks at the queue, so only this accept tells whether a connection
  // is waiting at all.)
  int accept_into_spare(int listener, int flags, int& err);
  bool reopen_spare() { return spare_ || reopen(); }
  bool has_spare() const { return !missing_.load(std::memory_order_relaxed); }
  // Cheap when the spare is there (one atomic load); else reopens it under the lock.
  void refill_if_missing();
  // Gives the spare up, as when another loop's accept takes its slot: how the tests reach the
  // loop's last resort (kAcceptPause) without a race.
  void give_up_spare();

 private:
  bool reopen();  // with mutex_ held

  std::mutex mutex_;
  OwnedFd spare_;
  std::atomic<bool> missing_{false};
  std::atomic<bool> at_limit_{false};
};

}  // namespace pollbench
