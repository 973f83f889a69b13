// watched_bench's view of epoll and io_uring: a readiness mechanism that watches *files*.
//
// Why not the Poller (backends/poller.h): a Poller keys its Registry by fd number and checks
// that the fd is open, as select and poll must. Here each idle socket is registered while its
// fd is open, then the fd goes to a holder process (holders.h) and this process closes its
// copy: the registration outlives the fd number (epoll keeps it until the file's last
// reference goes; an io_uring poll request holds its own file reference), and the next
// socketpair() reuses the number. A Poller would refuse that reuse (EEXIST) or, after a
// remove(), really unregister the file. So this family, which is about exactly that property
// of these two mechanisms, talks to them directly through this small interface: one file per
// mechanism (epoll_watcher.cc, io_uring_watcher.cc), nothing mechanism-specific elsewhere.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pollbench::watched {

using Token = std::uint32_t;

class Watcher {
 public:
  virtual ~Watcher() = default;
  Watcher() = default;
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  virtual std::string_view name() const = 0;
  // Starts watching the file behind `fd` for readability; its events carry `token`. Once this
  // returns the caller may close `fd`: the watch lasts as long as some process holds the file.
  virtual void add(int fd, Token token) = 0;
  // Stops watching `fd`, which must still be open here and have been added with `token`.
  virtual void remove(int fd, Token token) = 0;
  // Blocks up to `timeout` for readiness, then writes up to ready.size() tokens. Returns how many.
  virtual std::size_t wait(std::span<Token> ready, std::chrono::milliseconds timeout) = 0;
  // Throws away what a remove() left behind (io_uring's cancellation completions).
  virtual void discard_pending() {}
  // How the mechanism was set up (io_uring: the ring flags), for the results' context.
  virtual std::string setup() const = 0;
};

// The backends this family runs: every Poller backend whose interest set lives in the kernel
// (BackendTraits::interest), in backends() order.
const std::vector<std::string>& watcher_backends();
// Throws std::invalid_argument for an unknown name, std::system_error when set-up fails.
std::unique_ptr<Watcher> make_watcher(std::string_view backend);

// `name`: the Poller backend this watcher stands for.
std::unique_ptr<Watcher> make_epoll_watcher(std::string name, bool edge_triggered);
// plain_ring: a ring without DEFER_TASKRUN, as the backend that runs one (io_uring_plain).
std::unique_ptr<Watcher> make_io_uring_watcher(std::string name, bool plain_ring);

}  // namespace pollbench::watched
