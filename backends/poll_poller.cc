// poll(2) over one dense pollfd array kept across waits. Removal swaps the last entry into
// the hole (as libevent and libuv do), so the array stays dense and removal is O(1).
//
// One wait: poll() over all N entries (the kernel checks each), then scan revents until the
// ones poll() counted as ready are met (all N at worst).
//
// Fairness: when Events fills before the scan ends, the next scan starts just after the last
// entry reported and wraps around, so a small buffer never starves the entries at the end of
// the array (libevent starts at a random index for the same reason). Every ready fd is reported
// within ceil(ready / capacity) waits, while no fd is added or removed in between.
#include <poll.h>

#include <cerrno>

#include "backend.h"
#include "masks.h"
#include "registry.h"

namespace pollbench {
namespace {

short poll_mask(Interest interest) { return static_cast<short>(interest_mask(interest, kPollBits)); }

class PollPoller final : public BackendPoller {
 public:
  using BackendPoller::BackendPoller;

  void add(int fd, Interest interest, Token token) override {
    registry_.add(fd, interest, token, traits_.name);  // a closed fd: POLLNVAL at the wait
    if (static_cast<std::size_t>(fd) >= index_.size()) index_.resize(static_cast<std::size_t>(fd) + 1);
    index_[static_cast<std::size_t>(fd)] = pollfds_.size();
    pollfds_.push_back(pollfd{fd, poll_mask(interest), 0});
  }

  void modify(int fd, Interest interest, Token token) override {
    registry_.modify(fd, interest, token, traits_.name);
    pollfds_[index_[static_cast<std::size_t>(fd)]].events = poll_mask(interest);
  }

  void remove(int fd) override {
    registry_.remove(fd, traits_.name);
    const std::size_t hole = index_[static_cast<std::size_t>(fd)];
    pollfds_[hole] = pollfds_.back();
    index_[static_cast<std::size_t>(pollfds_[hole].fd)] = hole;
    pollfds_.pop_back();
  }

  std::size_t wait(Events& events, std::chrono::nanoseconds timeout) override {
    events.clear();
    int n = ::poll(pollfds_.data(), pollfds_.size(), timeout_ms(timeout));
    if (n < 0) {
      if (errno == EINTR) return 0;
      throw_errno("poll nfds=" + std::to_string(pollfds_.size()));
    }
    const std::size_t size = pollfds_.size();
    std::size_t i = start_ < size ? start_ : 0;
    for (std::size_t seen = 0; n > 0 && seen < size && !events.full(); ++seen, i = i + 1 == size ? 0 : i + 1) {
      const short revents = pollfds_[i].revents;
      if (revents == 0) continue;
      --n;
      events.push(registry_[pollfds_[i].fd].token, pollfds_[i].fd, ready_of(static_cast<unsigned short>(revents), kPollBits));
    }
    if (events.full()) start_ = i;  // i is already past the last entry reported
    return events.size();
  }

  std::size_t watched() const override { return registry_.size(); }

 private:
  Registry registry_;
  std::vector<pollfd> pollfds_;
  std::vector<std::size_t> index_;  // fd -> position in pollfds_
  std::size_t start_ = 0;           // where the next scan starts: after the last entry a full buffer took
};

// The raw baseline: poll() over the N pollfds, scan revents until the ready ones are found.
void raw_poll(std::span<const int> watched, int timeout_ms, RawHarness& harness) {
  std::vector<pollfd> fds;
  for (int fd : watched) fds.push_back(pollfd{fd, POLLIN, 0});
  run_raw_rounds(harness, [&] {
    int n;
    do n = ::poll(fds.data(), fds.size(), timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("poll");
    RawResult r{n, 0};
    for (std::size_t i = 0; n > 0 && i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      r.fd_sum += fds[i].fd;
      --n;
    }
    return r;
  });
}

}  // namespace

// No watcher: the interest set is an array of fd numbers in this process's own table.
extern const Backend kPollBackend;
const Backend kPollBackend{
    {"poll", Poller::Trigger::level, WaitCost::per_watched, InterestSet::user_array, true, kAnyFd, "poll"},
    []() -> std::unique_ptr<Poller> { return std::make_unique<PollPoller>(kPollBackend.traits); },
    nullptr,
    raw_poll,
    nullptr,
};

}  // namespace pollbench
