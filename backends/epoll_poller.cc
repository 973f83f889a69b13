// epoll(7), level- or edge-triggered. The kernel keeps the interest set and a ready list;
// a wait copies out only the ready entries, so it costs O(ready), not O(watched).
//
// epoll_event.data holds the fd and the registration's generation (the registry bumps it on
// every add and modify); the token comes from the registry (an O(1) fd-indexed lookup per ready
// event), which also gives epoll the same errors as the other backends.
//
// Stale registrations. The kernel keys a registration by (file, fd number) and drops it only
// when the file's last reference goes. If the caller closes a registered fd while a dup, a
// forked child or a passed copy keeps the file open, the registration lives on, and remove()
// can no longer reach it: EPOLL_CTL_DEL looks the number up afresh and finds nothing (EBADF)
// or another file (ENOENT). Such a registration goes on reporting the old file under the old
// data. A wait drops every event whose fd is not registered or whose generation is not the
// current one, and then rebuilds the kernel's interest set from the registry (a new epoll
// instance, one EPOLL_CTL_ADD per registered fd), because a level-triggered stale registration
// would otherwise wake every wait forever. That O(watched) rebuild happens only when a stale
// event shows up; an ordinary wait stays O(ready).
#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>

#include "backend.h"
#include "fd.h"
#include "masks.h"
#include "registry.h"

namespace pollbench {
namespace {

class EpollPoller final : public BackendPoller {
 public:
  explicit EpollPoller(const BackendTraits& traits)
      : BackendPoller(traits), edge_(traits.trigger == Trigger::edge), epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!epfd_) throw_errno("epoll_create1");
  }

  void add(int fd, Interest interest, Token token) override {
    // epoll_ctl reports a closed fd (EBADF) itself; ctl() then takes the entry back.
    registry_.add(fd, interest, token, traits_.name);
    ctl(EPOLL_CTL_ADD, fd, "epoll_ctl ADD");
  }

  void modify(int fd, Interest interest, Token token) override {
    // The kernel refuses to modify an exclusive registration (EINVAL); refusing before the
    // registry changes keeps the registry's generation equal to the kernel's data.
    if (registry_.contains(fd) && exclusive(fd)) throw_errno(EINVAL, "epoll_ctl MOD fd=" + std::to_string(fd) + " (registered exclusive)");
    registry_.modify(fd, interest, token, traits_.name);
    ctl(EPOLL_CTL_MOD, fd, "epoll_ctl MOD");
  }

  void remove(int fd) override {
    registry_.remove(fd, traits_.name);
    set_exclusive(fd, false);
    if (::epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, fd, nullptr) < 0) {
      // The caller closed the fd first: the number names no file (EBADF) or another,
      // unregistered one (ENOENT). The kernel dropped the registration if that was the file's
      // last reference; if not, the registration is stale, and the wait that first meets one
      // of its events drops it and rebuilds the interest set (see the top of this file).
      if (errno == EBADF || errno == ENOENT) return;
      throw_errno("epoll_ctl DEL fd=" + std::to_string(fd));
    }
  }

  std::size_t wait(Events& events, std::chrono::nanoseconds timeout) override {
    events.clear();
    // Grows only when the caller hands a larger buffer: steady-state waits allocate nothing.
    if (ready_.size() < events.capacity()) ready_.resize(events.capacity());
    int n = ::epoll_wait(epfd_.get(), ready_.data(), static_cast<int>(events.capacity()), timeout_ms(timeout));
    if (n < 0) {
      if (errno == EINTR) return 0;
      throw_errno("epoll_wait");
    }
    bool stale = false;
    for (int i = 0; i < n; ++i) {
      const epoll_event& e = ready_[static_cast<std::size_t>(i)];
      const int fd = fd_of(e.data.u64);
      if (!registry_.contains(fd) || registry_[fd].generation != generation_of(e.data.u64)) {
        stale = true;
        continue;
      }
      events.push(registry_[fd].token, fd, ready_of(e.events, kEpollBits));
    }
    if (stale) rebuild();
    return events.size();
  }

  std::size_t watched() const override { return registry_.size(); }

  bool add_exclusive(int fd, Token token) override {
    registry_.add(fd, Interest::readable, token, traits_.name);
    set_exclusive(fd, true);
    epoll_event e = event_for(fd);
    if (::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &e) < 0) {
      const int err = errno;
      registry_.remove(fd, traits_.name);
      set_exclusive(fd, false);
      throw_errno(err, "epoll_ctl ADD EPOLLEXCLUSIVE fd=" + std::to_string(fd));
    }
    return true;
  }

 private:
  static std::uint64_t data_of(int fd, std::uint32_t generation) {
    return (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
  }
  static int fd_of(std::uint64_t data) { return static_cast<int>(static_cast<std::uint32_t>(data)); }
  static std::uint32_t generation_of(std::uint64_t data) { return static_cast<std::uint32_t>(data >> 32); }

  bool exclusive(int fd) const { return static_cast<std::size_t>(fd) < exclusive_.size() && exclusive_[static_cast<std::size_t>(fd)]; }
  void set_exclusive(int fd, bool on) {
    if (static_cast<std::size_t>(fd) >= exclusive_.size()) {
      if (!on) return;
      exclusive_.resize(static_cast<std::size_t>(fd) + 1);
    }
    exclusive_[static_cast<std::size_t>(fd)] = on;
  }

  // The registration the registry describes; rebuild() uses it too, so an exclusive
  // registration stays exclusive in a rebuilt interest set.
  epoll_event event_for(int fd) const {
    const Registry::Slot& slot = registry_[fd];
    epoll_event e{};
    if (exclusive(fd)) {
      // EPOLLEXCLUSIVE takes no EPOLLRDHUP (EINVAL): a listener has no peer to hang up anyway.
      e.events = EPOLLIN | EPOLLEXCLUSIVE;
    } else {
      e.events = interest_mask(slot.interest, kEpollBits);
    }
    e.events |= edge_ ? EPOLLET : 0U;
    e.data.u64 = data_of(fd, slot.generation);
    return e;
  }

  void ctl(int op, int fd, const char* what) {
    epoll_event e = event_for(fd);
    if (::epoll_ctl(epfd_.get(), op, fd, &e) < 0) {
      const int err = errno;
      // Keep the registry in step with the kernel when the kernel refuses.
      if (op == EPOLL_CTL_ADD) registry_.remove(fd, traits_.name);
      throw_errno(err, std::string(what) + " fd=" + std::to_string(fd));
    }
  }

  // A new epoll instance holding exactly the registry's fds: the only way to be rid of a
  // stale registration. A registered fd the caller has closed (not yet removed) fails with
  // EBADF and stays out of the kernel until remove(); a number closed and reused without
  // remove() now watches the file it names, as select and poll would. An edge-triggered fd
  // that is ready when re-added is reported once more: the new registration's first edge.
  void rebuild() {
    OwnedFd fresh(::epoll_create1(EPOLL_CLOEXEC));
    if (!fresh) throw_errno("epoll_create1 (rebuilding after a stale registration)");
    for (std::size_t i = 0; i < registry_.span(); ++i) {
      const int fd = static_cast<int>(i);
      if (!registry_.contains(fd)) continue;
      epoll_event e = event_for(fd);
      if (::epoll_ctl(fresh.get(), EPOLL_CTL_ADD, fd, &e) < 0 && errno != EBADF) {
        throw_errno("epoll_ctl ADD fd=" + std::to_string(fd) + " (rebuilding after a stale registration)");
      }
    }
    epfd_ = std::move(fresh);
  }

  bool edge_;
  OwnedFd epfd_;
  Registry registry_;
  std::vector<bool> exclusive_;  // by fd: registered with add_exclusive()
  std::vector<epoll_event> ready_;
};

// The file watcher: one epoll_ctl per change, epoll_wait for readiness. The interest set is a
// red-black tree keyed by (file, fd number), so a closed number reused by a new socket is a
// new key: the old file stays registered while a holder keeps it open.
class EpollWatcher final : public Watcher {
 public:
  explicit EpollWatcher(const BackendTraits& traits)
      : traits_(traits), edge_(traits.trigger == Poller::Trigger::edge), epoll_(::epoll_create1(EPOLL_CLOEXEC)), events_(64) {
    if (!epoll_) throw_errno("epoll_create1");
  }

  std::string_view name() const override { return traits_.name; }
  std::string setup() const override { return edge_ ? "EPOLLIN | EPOLLET" : "EPOLLIN"; }

  void add(int fd, WatchToken token) override {
    epoll_event ev{};
    ev.events = EPOLLIN | (edge_ ? EPOLLET : 0U);
    ev.data.u64 = token;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) throw_errno("epoll_ctl ADD fd=" + std::to_string(fd));
  }

  void remove(int fd, WatchToken) override {
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr) != 0) throw_errno("epoll_ctl DEL fd=" + std::to_string(fd));
  }

  std::size_t wait(std::span<WatchToken> ready, std::chrono::milliseconds timeout) override {
    const int max = static_cast<int>(std::min(ready.size(), events_.size()));
    const int n = ::epoll_wait(epoll_.get(), events_.data(), max, static_cast<int>(timeout.count()));
    if (n < 0) {
      if (errno == EINTR) return 0;
      throw_errno("epoll_wait");
    }
    for (int i = 0; i < n; ++i) ready[static_cast<std::size_t>(i)] = static_cast<WatchToken>(events_[static_cast<std::size_t>(i)].data.u64);
    return static_cast<std::size_t>(n);
  }

 private:
  const BackendTraits& traits_;
  bool edge_;
  OwnedFd epoll_;
  std::vector<epoll_event> events_;
};

// The raw baseline (both triggers share it: the trigger is a flag of the same calls):
// epoll_wait(), walk the returned events.
void raw_epoll(std::span<const int> watched, int timeout_ms, RawHarness& harness) {
  OwnedFd epfd(::epoll_create1(EPOLL_CLOEXEC));
  if (!epfd) throw_errno("epoll_create1");
  for (int fd : watched) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = fd;
    if (::epoll_ctl(epfd.get(), EPOLL_CTL_ADD, fd, &e) < 0) throw_errno("epoll_ctl ADD");
  }
  epoll_event ready[2];  // one spare: a second event would show as a mismatch
  run_raw_rounds(harness, [&] {
    int n;
    do n = ::epoll_wait(epfd.get(), ready, 2, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("epoll_wait");
    RawResult r{n, 0};
    for (int i = 0; i < n; ++i) r.fd_sum += ready[i].data.fd;
    return r;
  });
}

}  // namespace

extern const Backend kEpollLtBackend;
const Backend kEpollLtBackend{
    {"epoll_lt", Poller::Trigger::level, WaitCost::per_ready, InterestSet::kernel, true, kAnyFd, "epoll"},
    []() -> std::unique_ptr<Poller> { return std::make_unique<EpollPoller>(kEpollLtBackend.traits); },
    nullptr,
    raw_epoll,
    []() -> std::unique_ptr<Watcher> { return std::make_unique<EpollWatcher>(kEpollLtBackend.traits); },
};

extern const Backend kEpollEtBackend;
const Backend kEpollEtBackend{
    {"epoll_et", Poller::Trigger::edge, WaitCost::per_ready, InterestSet::kernel, true, kAnyFd, "epoll"},
    []() -> std::unique_ptr<Poller> { return std::make_unique<EpollPoller>(kEpollEtBackend.traits); },
    nullptr,
    raw_epoll,
    []() -> std::unique_ptr<Watcher> { return std::make_unique<EpollWatcher>(kEpollEtBackend.traits); },
};

}  // namespace pollbench
