#include "fd_pool.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>

#include "error.h"

namespace pollbench::wait {

namespace {
bool both_ends_watched(const std::string& kind) { return kind != "pipe"; }
// A dup pool's fds besides the watched ones: the idle pair, and one peer per ready fd (one
// counted here, more within kRunSpareFds).
constexpr std::size_t kDupOverhead = 3;
}  // namespace

std::size_t fds_needed(const std::string& kind, std::size_t watched) {
  if (kind == kDupKind) return watched + kDupOverhead;
  return both_ends_watched(kind) ? watched + (watched % 2) : 2 * watched;
}

std::size_t max_watched(const std::string& kind) {
  // Fds the pool holds now are reused for this kind, or freed when the kind changes.
  const std::size_t free_fds = fds_available(kReservedFds) + shared_pool().open_fds();
  if (kind == kDupKind) return free_fds > kDupOverhead ? free_fds - kDupOverhead : 0;
  return both_ends_watched(kind) ? free_fds - free_fds % 2 : free_fds / 2;
}

void FdPool::ensure(const std::string& kind, std::size_t watched) {
  if (kind != kind_) {
    dup_peers_.clear();
    dup_ready_.clear();
    dups_.clear();
    pairs_.clear();
    watched_.clear();
    peer_.clear();
    kind_ = kind;
    ++generation_;
  }
  if (watched_.size() >= watched) return;
  const std::size_t extra = fds_needed(kind, watched) - (watched_.empty() ? 0 : fds_needed(kind, watched_.size()));
  require_fds(extra + kRunSpareFds, std::to_string(watched) + " watched " + kind + " fds (with " +
                                        std::to_string(kRunSpareFds) + " spare)");
  if (kind == kDupKind) return grow_dups(watched);
  while (watched_.size() < watched) {
    FdPair& pair = pairs_.emplace_back(make_pair(kind));
    watched_.push_back(pair.a.get());
    peer_.push_back(pair.b.get());
    if (both_ends_watched(kind)) {
      watched_.push_back(pair.b.get());
      peer_.push_back(pair.a.get());
    }
  }
}

void FdPool::grow_dups(std::size_t watched) {
  if (pairs_.empty()) pairs_.push_back(make_socketpair());
  const int idle = pairs_.front().a.get();
  while (watched_.size() < watched) {
    OwnedFd copy(::fcntl(idle, F_DUPFD_CLOEXEC, 0));
    if (!copy) throw_open_error("dup of the idle socket");
    watched_.push_back(copy.get());
    peer_.push_back(-1);
    dups_.push_back(std::move(copy));
  }
}

// Points watched slot `index` (its fd number unchanged) at the file `file_fd` refers to.
void FdPool::set_slot(std::size_t index, int file_fd) {
  if (::dup3(file_fd, watched_[index], O_CLOEXEC) < 0) {
    throw_errno("dup3 onto watched fd " + std::to_string(watched_[index]));
  }
}

void FdPool::place_ready(std::size_t watched, const std::vector<std::size_t>& ready) {
  ensure(kDupKind, watched);
  if (ready == dup_ready_) return;
  for (std::size_t i : ready) {
    if (i >= watched_.size()) throw std::invalid_argument("ready index " + std::to_string(i) + " beyond the pool");
  }
  const int idle = pairs_.front().a.get();
  for (std::size_t i : dup_ready_) {
    set_slot(i, idle);
    peer_[i] = -1;
  }
  dup_peers_.clear();
  for (std::size_t i : ready) {
    FdPair pair = make_socketpair();
    set_slot(i, pair.a.get());  // pair.a closes below; the slot keeps its socket open
    peer_[i] = pair.b.get();
    dup_peers_.push_back(std::move(pair.b));
  }
  dup_ready_ = ready;
  ++generation_;
}

FdPool& shared_pool() {
  static FdPool pool;
  return pool;
}

const char* position_name(Position position) {
  switch (position) {
    case Position::first: return "first";
    case Position::middle: return "middle";
    case Position::last: return "last";
    case Position::spread: return "spread";
  }
  return "?";
}

std::vector<std::size_t> ready_indices(std::size_t watched, std::size_t active, Position position) {
  if (active == 0 || active > watched) {
    throw std::invalid_argument("active " + std::to_string(active) + " must be in 1.." + std::to_string(watched));
  }
  std::vector<std::size_t> out;
  out.reserve(active);
  if (position == Position::spread) {
    for (std::size_t k = 0; k < active; ++k) out.push_back(((2 * k + 1) * watched) / (2 * active));
    return out;
  }
  // A contiguous block: where it starts is all that differs.
  const std::size_t begin = position == Position::first ? 0
                            : position == Position::last ? watched - active
                                                         : (watched - active) / 2;
  for (std::size_t k = 0; k < active; ++k) out.push_back(begin + k);
  return out;
}

std::vector<std::size_t> spread(std::size_t watched, std::size_t active) {
  return ready_indices(watched, active, Position::spread);
}

void read_one(int fd) {
  char byte = 0;
  for (;;) {
    const ssize_t n = ::read(fd, &byte, 1);
    if (n == 1) return;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read fd=" + std::to_string(fd));
    throw std::runtime_error("read fd=" + std::to_string(fd) + ": peer closed");
  }
}

void settle_readable(const std::vector<int>& fds) {
  std::vector<pollfd> pending;
  pending.reserve(fds.size());
  for (int fd : fds) pending.push_back(pollfd{fd, POLLIN, 0});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (!pending.empty()) {
    if (::poll(pending.data(), pending.size(), 10) < 0 && errno != EINTR) {
      throw_errno("poll (settle)");
    }
    std::erase_if(pending, [](const pollfd& p) { return (p.revents & POLLIN) != 0; });
    for (pollfd& p : pending) p.revents = 0;
    if (!pending.empty() && std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(std::to_string(pending.size()) + " fds still not readable 1 s after the write");
    }
  }
}

}  // namespace pollbench::wait
