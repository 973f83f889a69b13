// The fds a benchmark watches: one shared pool of pairs of one kind, grown on demand and kept
// across benchmark runs, because opening 10,000 TCP pairs for every run would dominate the
// suite's time and churn ephemeral ports.
//
// Watched fd i has a peer: writing one byte to peer(i) makes watched(i) readable. For
// socketpair and tcp both ends of a pair are full-duplex sockets, so both are watched (end a's
// peer is b and b's is a): N watched fds need N/2 pairs, N fds in all. A pipe's write end can
// never become readable, so for pipes only read ends are watched: N watched fds cost 2N fds.
//
// Pairs are opened in order, so the first N watched fds are the lowest-numbered ones the pool
// holds: select's cost follows its highest fd, which stays close to N (2N for pipes).
//
// Kind "dup" (kDupKind) is the control of the per-fd cost: every watched fd is a dup() of one
// idle socket (the same kernel code as N sockets, on one cache-hot file), except the ready ones,
// which are real socketpair ends placed at the indices a benchmark asks for (place_ready). It is
// the wait family's own: not a pair kind, so not in fd_kinds().
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "fds.h"

namespace pollbench::wait {

// Fds every run may need next to the pool: epoll or io_uring fds, the TCP listener, the JSON
// output file, /proc files. The sweep leaves this many free when it picks the largest N...
inline constexpr std::size_t kReservedFds = 64;
// ...and growing the pool at run time insists on this many staying free after it.
inline constexpr std::size_t kRunSpareFds = 16;

class FdPool {
 public:
  // Makes the pool hold at least `watched` fds of `kind`; a different kind closes the old
  // pool first. Throws FdLimitError naming the limit when they cannot fit.
  void ensure(const std::string& kind, std::size_t watched);

  int watched(std::size_t i) const { return watched_[i]; }
  int peer(std::size_t i) const { return peer_[i]; }
  std::size_t size() const { return watched_.size(); }
  const std::string& kind() const { return kind_; }
  std::size_t open_fds() const { return 2 * pairs_.size(); }
  // Bumped whenever fds are closed, so a cached poller knows its registrations are stale.
  unsigned generation() const { return generation_; }

  // kDupKind only: makes the pool hold `watched` fds whose `ready` indices (and no others) are
  // socketpair ends with a peer, the rest dup()s of the idle socket. The fd numbers stay the
  // same (dup3 over the slot), but the files behind them change, so when the ready set changes
  // the generation is bumped and the cached poller registers afresh.
  void place_ready(std::size_t watched, const std::vector<std::size_t>& ready);

 private:
  void grow_dups(std::size_t watched);
  void set_slot(std::size_t index, int file_fd);

  std::string kind_;
  std::vector<FdPair> pairs_;  // for kDupKind: pairs_[0] is the idle socket's pair
  std::vector<int> watched_;
  std::vector<int> peer_;
  std::vector<OwnedFd> dups_;  // kDupKind: the watched fds themselves
  std::vector<std::size_t> dup_ready_;
  std::vector<OwnedFd> dup_peers_;  // kDupKind: the peers of dup_ready_, in its order
  unsigned generation_ = 0;
};

inline constexpr const char* kDupKind = "dup";

// The one pool all families share (one kind at a time keeps the fds low and within the limit).
FdPool& shared_pool();

// The largest N of `kind` that fits under the fd limit now, with kReservedFds to spare.
std::size_t max_watched(const std::string& kind);
// How many fds N watched fds of `kind` cost.
std::size_t fds_needed(const std::string& kind, std::size_t watched);

// Where the A ready fds sit among the N watched ones, in registration order (= fd order, the
// order in which select and poll check them). It matters for select and poll with a blocking
// wait: the kernel queues the waiter on every fd it checks before it meets the first ready one
// (and dequeues them all before returning), so a ready fd near the end costs more than one at
// the start; with timeout 0 it queues on none. The rules, for watched index 0..N-1:
//   first   indices 0 .. A-1
//   last    indices N-A .. N-1
//   middle  a contiguous block of A centred in N: (N-A)/2 .. (N-A)/2 + A-1 (rounded down)
//   spread  index floor((2i+1)N / (2A)) for i in 0..A-1: the middle of each of A equal
//           strides, so for A = 1 the middle fd (N/2, rounded down) and for A = N every fd
enum class Position { first, middle, last, spread };
const char* position_name(Position position);  // "first", "middle", "last", "spread"

// The A watched indices to make ready among N under `position`, in increasing order. Throws
// std::invalid_argument unless 1 <= A <= N.
std::vector<std::size_t> ready_indices(std::size_t watched, std::size_t active, Position position);

// ready_indices(watched, active, Position::spread): never all at one end, the default.
std::vector<std::size_t> spread(std::size_t watched, std::size_t active);

// Reads the single byte a benchmark wrote, leaving the fd drained; throws if it is not there.
void read_one(int fd);
// Waits (up to a second) until every fd in `fds` is readable. Loopback TCP may hand a segment
// to the receiver from softirq context after write() returns; pipes and socketpairs never need it.
void settle_readable(const std::vector<int>& fds);

}  // namespace pollbench::wait
