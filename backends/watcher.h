// A backend's file watcher: its mechanism watching *files*, for bench/watched, which watches
// more sockets than the fd limit. Only a backend whose interest set the kernel keeps
// (InterestSet::kernel) has one (its hook in backend.h).
//
// Why not the Poller: a Poller keys its Registry by fd number and checks that the fd is open,
// as select and poll must. There each idle socket is registered while its fd is open, then the
// fd goes to a holder process and the benchmark closes its copy: the registration outlives the
// fd number (epoll keeps it until the file's last reference goes; an io_uring poll request
// holds its own file reference), and the next socketpair() reuses the number. A Poller would
// refuse that reuse (EEXIST) or, after a remove(), really unregister the file. So a watcher
// talks to the mechanism directly through this small interface.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pollbench {

using WatchToken = std::uint32_t;

class Watcher {
 public:
  virtual ~Watcher() = default;
  Watcher() = default;
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // The backend this watcher stands for.
  virtual std::string_view name() const = 0;
  // Starts watching the file behind `fd` for readability; its events carry `token`. Once this
  // returns the caller may close `fd`: the watch lasts as long as some process holds the file.
  virtual void add(int fd, WatchToken token) = 0;
  // Stops watching `fd`, which must still be open here and have been added with `token`.
  virtual void remove(int fd, WatchToken token) = 0;
  // Blocks up to `timeout` for readiness, then writes up to ready.size() tokens. Returns how many.
  virtual std::size_t wait(std::span<WatchToken> ready, std::chrono::milliseconds timeout) = 0;
  // Throws away what a remove() left behind (io_uring's cancellation completions).
  virtual void discard_pending() {}
  // How the mechanism was set up (io_uring: the ring flags), for the results' context.
  virtual std::string setup() const = 0;
};

}  // namespace pollbench
