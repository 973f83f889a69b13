// epoll(7), level- or edge-triggered. The kernel keeps the interest set and a ready list;
// a wait copies out only the ready entries, so it costs O(ready), not O(watched).
//
// epoll_event.data holds the fd; the token comes from the registry (an O(1) fd-indexed
// lookup per ready event), which also gives epoll the same errors as the other backends.
#include <sys/epoll.h>

#include <cerrno>

#include "backends.h"
#include "fd.h"
#include "registry.h"

namespace pollbench {
namespace {

class EpollPoller final : public Poller {
 public:
  explicit EpollPoller(bool edge) : edge_(edge), epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!epfd_) throw_errno("epoll_create1");
  }

  std::string_view name() const override { return edge_ ? "epoll_et" : "epoll_lt"; }
  Trigger trigger() const override { return edge_ ? Trigger::edge : Trigger::level; }

  void add(int fd, Interest interest, Token token) override {
    // epoll_ctl reports a closed fd (EBADF) itself; ctl() then takes the entry back.
    registry_.add(fd, interest, token, edge_ ? "epoll_et" : "epoll_lt", Registry::OpenCheck::mechanism);
    ctl(EPOLL_CTL_ADD, fd, interest, "epoll_ctl ADD");
  }

  void modify(int fd, Interest interest, Token token) override {
    registry_.modify(fd, interest, token, edge_ ? "epoll_et" : "epoll_lt");
    ctl(EPOLL_CTL_MOD, fd, interest, "epoll_ctl MOD");
  }

  void remove(int fd) override {
    registry_.remove(fd, edge_ ? "epoll_et" : "epoll_lt");
    if (::epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, fd, nullptr) < 0) {
      // The caller closed the fd first: the kernel already dropped it (EBADF), or the number
      // now names another, unregistered file (ENOENT). Our registry says it was ours.
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
    for (int i = 0; i < n; ++i) {
      const epoll_event& e = ready_[static_cast<std::size_t>(i)];
      const int fd = e.data.fd;
      std::uint8_t ready = 0;
      if (e.events & (EPOLLIN | EPOLLPRI)) ready |= kReadable;
      if (e.events & EPOLLOUT) ready |= kWritable;
      if (e.events & (EPOLLHUP | EPOLLRDHUP)) ready |= kHangup;
      if (e.events & EPOLLERR) ready |= kError;
      events.push(registry_[fd].token, fd, ready);
    }
    return events.size();
  }

  std::size_t watched() const override { return registry_.size(); }

 private:
  void ctl(int op, int fd, Interest interest, const char* what) {
    epoll_event e{};
    e.events = (wants_read(interest) ? EPOLLIN | EPOLLRDHUP : 0U) | (wants_write(interest) ? EPOLLOUT : 0U) |
               (edge_ ? EPOLLET : 0U);
    e.data.fd = fd;
    if (::epoll_ctl(epfd_.get(), op, fd, &e) < 0) {
      const int err = errno;
      // Keep the registry in step with the kernel when the kernel refuses.
      if (op == EPOLL_CTL_ADD) registry_.remove(fd, "epoll");
      throw_errno(err, std::string(what) + " fd=" + std::to_string(fd));
    }
  }

  bool edge_;
  OwnedFd epfd_;
  Registry registry_;
  std::vector<epoll_event> ready_;
};

}  // namespace

std::unique_ptr<Poller> make_epoll_lt_poller() { return std::make_unique<EpollPoller>(false); }
std::unique_ptr<Poller> make_epoll_et_poller() { return std::make_unique<EpollPoller>(true); }

}  // namespace pollbench
