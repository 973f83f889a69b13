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

#include "backends.h"
#include "registry.h"

namespace pollbench {
namespace {

// POLLRDHUP with readable interest, as epoll and io_uring ask for EPOLLRDHUP: a TCP peer's
// FIN sets only POLLIN and POLLRDHUP (POLLHUP needs both directions shut), so without it a
// hangup would look like mere data.
short poll_mask(Interest interest) {
  short mask = 0;
  if (wants_read(interest)) mask |= POLLIN | POLLRDHUP;
  if (wants_write(interest)) mask |= POLLOUT;
  return mask;
}

class PollPoller final : public Poller {
 public:
  std::string_view name() const override { return kPollTraits.name; }
  Trigger trigger() const override { return kPollTraits.trigger; }

  void add(int fd, Interest interest, Token token) override {
    registry_.add(fd, interest, token, "poll");  // a closed fd: POLLNVAL at the wait
    if (static_cast<std::size_t>(fd) >= index_.size()) index_.resize(static_cast<std::size_t>(fd) + 1);
    index_[static_cast<std::size_t>(fd)] = pollfds_.size();
    pollfds_.push_back(pollfd{fd, poll_mask(interest), 0});
  }

  void modify(int fd, Interest interest, Token token) override {
    registry_.modify(fd, interest, token, "poll");
    pollfds_[index_[static_cast<std::size_t>(fd)]].events = poll_mask(interest);
  }

  void remove(int fd) override {
    registry_.remove(fd, "poll");
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
      std::uint8_t ready = 0;
      if (revents & (POLLIN | POLLPRI)) ready |= kReadable;
      if (revents & POLLOUT) ready |= kWritable;
      if (revents & (POLLHUP | POLLRDHUP)) ready |= kHangup;
      if (revents & (POLLERR | POLLNVAL)) ready |= kError;
      events.push(registry_[pollfds_[i].fd].token, pollfds_[i].fd, ready);
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

}  // namespace

const BackendTraits kPollTraits{"poll", Poller::Trigger::level, WaitCost::per_watched, InterestSet::user_array,
                                true, kAnyFd, "poll"};

std::unique_ptr<Poller> make_poll_poller() { return std::make_unique<PollPoller>(); }

}  // namespace pollbench
