// The fd -> (interest, token) table every backend keeps, and the checks that give all
// backends the same errors for bad input. Indexed by fd, so a lookup in a wait is O(1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "error.h"
#include "poller.h"

namespace pollbench {

class Registry {
 public:
  struct Slot {
    bool registered = false;
    Interest interest = Interest::readable;
    Token token = 0;
    std::uint32_t generation = 0;  // bumped on every add/modify/remove; epoll and io_uring tell stale events by it
  };

  Registry();

  // Checks that the fd could be open (EBADF) and is not registered (EEXIST), then records it.
  // Whether it IS open is left to the mechanism, so a timed add costs only what the mechanism
  // costs: epoll_ctl and io_uring's poll add report EBADF themselves (the caller then removes
  // the entry); select and poll, which make no system call at registration, report a closed fd
  // at the next wait (select fails with EBADF, poll sets POLLNVAL), as they do for an fd closed
  // while registered. A negative fd gives EBADF here, and so does a closed one at or above the
  // fd limit seen when the registry was made (no open fd is there unless the limit changed
  // since: fcntl decides, on that rare path only), so no table grows for a bogus fd.
  Slot& add(int fd, Interest interest, Token token, const char* backend);
  // Checks the fd is registered (ENOENT), then records the new interest and token.
  Slot& modify(int fd, Interest interest, Token token, const char* backend);
  // Checks the fd is registered (ENOENT), then forgets it.
  const Slot& remove(int fd, const char* backend);

  const Slot& operator[](int fd) const { return slots_[static_cast<std::size_t>(fd)]; }
  bool contains(int fd) const {
    return fd >= 0 && static_cast<std::size_t>(fd) < slots_.size() && slots_[static_cast<std::size_t>(fd)].registered;
  }
  std::size_t size() const { return count_; }
  // One past the highest fd ever registered (the table's length).
  std::size_t span() const { return slots_.size(); }

 private:
  std::vector<Slot> slots_;
  std::size_t count_ = 0;
  std::size_t fd_limit_;  // RLIMIT_NOFILE's soft limit when the registry was made
};

// Timeout conversions, rounded up so a short positive timeout never becomes a busy 0.
// Negative means forever (-1 for poll and epoll).
int timeout_ms(std::chrono::nanoseconds timeout);

}  // namespace pollbench
