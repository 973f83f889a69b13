// epoll as a Watcher: one epoll_ctl per change, epoll_wait for readiness. The interest set is
// a red-black tree keyed by (file, fd number), so a closed number reused by a new socket is a
// new key: the old file stays registered while a holder keeps it open.
#include <sys/epoll.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "fd.h"
#include "watcher.h"

namespace pollbench::watched {

namespace {

class EpollWatcher final : public Watcher {
 public:
  EpollWatcher(std::string name, bool edge)
      : name_(std::move(name)), edge_(edge), epoll_(::epoll_create1(EPOLL_CLOEXEC)), events_(64) {
    if (!epoll_) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  }

  std::string_view name() const override { return name_; }
  std::string setup() const override { return edge_ ? "EPOLLIN | EPOLLET" : "EPOLLIN"; }

  void add(int fd, Token token) override {
    epoll_event ev{};
    ev.events = EPOLLIN | (edge_ ? EPOLLET : 0U);
    ev.data.u64 = token;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      throw std::system_error(errno, std::generic_category(), "epoll_ctl ADD fd=" + std::to_string(fd));
    }
  }

  void remove(int fd, Token) override {
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr) != 0) {
      throw std::system_error(errno, std::generic_category(), "epoll_ctl DEL fd=" + std::to_string(fd));
    }
  }

  std::size_t wait(std::span<Token> ready, std::chrono::milliseconds timeout) override {
    const int max = static_cast<int>(std::min(ready.size(), events_.size()));
    const int n = ::epoll_wait(epoll_.get(), events_.data(), max, static_cast<int>(timeout.count()));
    if (n < 0) {
      if (errno == EINTR) return 0;
      throw std::system_error(errno, std::generic_category(), "epoll_wait");
    }
    for (int i = 0; i < n; ++i) ready[i] = static_cast<Token>(events_[i].data.u64);
    return static_cast<std::size_t>(n);
  }

 private:
  std::string name_;
  bool edge_;
  OwnedFd epoll_;
  std::vector<epoll_event> events_;
};

}  // namespace

std::unique_ptr<Watcher> make_epoll_watcher(std::string name, bool edge_triggered) {
  return std::make_unique<EpollWatcher>(std::move(name), edge_triggered);
}

}  // namespace pollbench::watched
