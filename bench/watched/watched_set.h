// The sockets one backend watches during a run: a few pairs this process keeps (the active
// pair the wait family writes to, the spare the ctl family adds and removes), and the idle
// pairs, one end of each registered, whose files live in holder processes (holders.h).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fd.h"
#include "holders.h"
#include "watcher.h"

namespace pollbench::watched {

using Token = WatchToken;

// The backends this family runs: every backend with a file watcher (backend.h), which is every
// backend whose interest set the kernel keeps: its registration holds the file, so it can
// watch files no longer in this process's table. In backends() order.
const std::vector<std::string>& watcher_backends();
// `backend`'s file watcher; std::invalid_argument for a backend without one.
std::unique_ptr<Watcher> make_watcher(const std::string& backend);

// Tokens: the active pair's is kActiveToken; idle pair i gets kIdleTokenBase + i, so a wait that
// reports an idle socket is caught.
inline constexpr Token kActiveToken = 0;
inline constexpr Token kSpareToken = 1;
inline constexpr Token kIdleTokenBase = 16;

// What growing the watched set by `added` sockets cost: wall time per socket (socketpair(),
// the registration, the share of the SCM_RIGHTS send, closing this process's copies) and
// kernel memory per socket (/proc/meminfo Slab + VmallocUsed + PageTables + KernelStack
// before and after; machine-wide, so other processes' churn is in it).
//
// add_ns_per_added: the registrations alone (the Watcher::add calls, read around each one),
// the counterpart of ctl_watched/add for fresh files: each goes to a new place in epoll's
// red-black tree, along a path the caches have not just seen, where ctl_watched adds one
// file again and again.
struct Growth {
  std::size_t added = 0;
  double ns_per_added = 0;
  double add_ns_per_added = 0;
  double kernel_bytes_per_added = 0;
};

class WatchedSet {
 public:
  explicit WatchedSet(const std::string& backend);
  WatchedSet(const WatchedSet&) = delete;
  WatchedSet& operator=(const WatchedSet&) = delete;

  // Registers idle sockets until `n` are watched in all (the active pair's included).
  Growth grow_to(std::size_t n);

  std::size_t watched() const { return 1 + idle_; }
  Watcher& watcher() { return *watcher_; }
  const FdPair& active() const { return active_; }
  const FdPair& spare() const { return spare_; }
  const HolderPool& holders() const { return holders_; }
  const std::string& backend() const { return backend_; }

 private:
  std::string backend_;
  // Declared before the watcher, so destroyed after it: closing an epoll instance or ring with
  // a million registrations is cheaper than a million files each leaving one.
  HolderPool holders_;
  std::unique_ptr<Watcher> watcher_;
  FdPair active_;
  FdPair spare_;
  std::size_t idle_ = 0;
};

// The set the current benchmark needs: `backend`'s, grown to `n`. Changing backend tears the
// previous set down first (all its holders exit), so only one backend's sockets exist at a
// time. Remembers each growth, by the n it reached.
WatchedSet& watched_set(const std::string& backend, std::size_t n);
const Growth& growth_to(std::size_t n);
void release_watched_set();

}  // namespace pollbench::watched
