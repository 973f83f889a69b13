// A backend defined entirely in this file, outside backends/: test_poll_copy, poll under another
// name. Its Poller forwards to a poll Poller, and its raw baseline (raw family "test_poll_copy")
// runs poll's; its interest set being a user-space array, it has no file watcher. It adds itself
// to the list of backends with a BackendRegistration, and tests/test_backend.cmake links this
// file into a conformance binary and into test builds of backends_list, wait_bench,
// watched_bench and tcp_bench: the proof that a backend is one self-describing entry, with no
// list of names anywhere else to edit. Forwarding rather than copying poll_poller.cc keeps one
// copy of poll's code; what is under test is the entry and everything that reads it.
#include "backend.h"

namespace pollbench {
namespace {

class PollCopy final : public BackendPoller {
 public:
  explicit PollCopy(const BackendTraits& traits) : BackendPoller(traits), poll_(backend_entry("poll").make()) {}

  void add(int fd, Interest interest, Token token) override { poll_->add(fd, interest, token); }
  void modify(int fd, Interest interest, Token token) override { poll_->modify(fd, interest, token); }
  void remove(int fd) override { poll_->remove(fd); }
  std::size_t wait(Events& events, std::chrono::nanoseconds timeout) override { return poll_->wait(events, timeout); }
  std::size_t watched() const override { return poll_->watched(); }

 private:
  std::unique_ptr<Poller> poll_;
};

void raw_poll_copy(std::span<const int> watched, int timeout_ms, RawHarness& harness) {
  backend_entry("poll").raw_baseline(watched, timeout_ms, harness);
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
