// A backend defined entirely in this file, outside backends/: a copy of poll (backends/
// poll_poller.cc) called test_poll_copy, with a raw baseline of its own (raw family
// "test_poll_copy") and, its interest set being a user-space array, no file watcher. It adds
// itself to the list of backends with a BackendRegistration, and tests/test_backend.cmake
// links this file into a conformance binary and into test builds of backends_list, wait_bench,
// watched_bench and tcp_bench: the proof that a backend is one self-describing entry, with no
// list of names anywhere else to edit.
#include <poll.h>

#include <cerrno>
#include <vector>

#include "backend.h"
#include "masks.h"
#include "registry.h"

namespace pollbench {
namespace {

class PollCopy final : public BackendPoller {
 public:
  using BackendPoller::BackendPoller;

  void add(int fd, Interest interest, Token token) override {
    registry_.add(fd, interest, token, traits_.name);
    if (static_cast<std::size_t>(fd) >= index_.size()) index_.resize(static_cast<std::size_t>(fd) + 1);
    index_[static_cast<std::size_t>(fd)] = pollfds_.size();
    pollfds_.push_back(pollfd{fd, static_cast<short>(interest_mask(interest, kPollBits)), 0});
  }

  void modify(int fd, Interest interest, Token token) override {
    registry_.modify(fd, interest, token, traits_.name);
    pollfds_[index_[static_cast<std::size_t>(fd)]].events = static_cast<short>(interest_mask(interest, kPollBits));
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
    if (events.full()) start_ = i;
    return events.size();
  }

  std::size_t watched() const override { return registry_.size(); }

 private:
  Registry registry_;
  std::vector<pollfd> pollfds_;
  std::vector<std::size_t> index_;
  std::size_t start_ = 0;
};

void raw_poll_copy(std::span<const int> watched, int timeout_ms, RawHarness& harness) {
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

const Backend kPollCopyBackend{
    {"test_poll_copy", Poller::Trigger::level, WaitCost::per_watched, InterestSet::user_array, true, kAnyFd,
     "test_poll_copy"},
    []() -> std::unique_ptr<Poller> { return std::make_unique<PollCopy>(kPollCopyBackend.traits); },
    nullptr,
    raw_poll_copy,
    nullptr,
};

const BackendRegistration registered{kPollCopyBackend};

}  // namespace
}  // namespace pollbench
