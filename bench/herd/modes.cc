#include "modes.h"

#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "error.h"

namespace pollbench::herd {
namespace {

// The kernel caps the backlog at net.core.somaxconn; a burst of 16 never comes near it.
constexpr int kBacklog = 4096;

OwnedFd listen_loopback(std::uint16_t port, bool reuseport) {
  OwnedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  int one = 1;
  if (reuseport && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
    throw_errno("setsockopt SO_REUSEPORT");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
    throw_errno("bind 127.0.0.1:" + std::to_string(port));
  }
  if (::listen(fd.get(), kBacklog) < 0) throw_errno("listen");
  return fd;
}

std::uint16_t port_of(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) < 0) throw_errno("getsockname");
  return ntohs(address.sin_port);
}

OwnedFd new_epoll() {
  OwnedFd fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!fd) throw_errno("epoll_create1");
  return fd;
}

void epoll_add(int epfd, int fd, std::uint32_t flags) {
  epoll_event e{};
  e.events = EPOLLIN | flags;
  e.data.fd = fd;
  if (::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0) throw_errno("epoll_ctl ADD fd=" + std::to_string(fd));
}

// The listener's readiness wins over stop: a connection reported with it is still accepted,
// and the stop fd, level-triggered, is reported again by the next wait.
WaitOutcome outcome(bool listener_ready, bool stop_ready) {
  if (listener_ready) return WaitOutcome::ready;
  return stop_ready ? WaitOutcome::stop : WaitOutcome::nothing;
}

// Blocks in epoll_wait on an instance it may share with other threads (shared_epoll_*), or
// on its own (epoll_per_thread, epoll_exclusive, reuseport).
class EpollWaiter final : public Waiter {
 public:
  EpollWaiter(int epfd, int listener, int stop) : epfd_(epfd), listener_(listener), stop_(stop) {}
  EpollWaiter(OwnedFd own, int listener, int stop)
      : own_(std::move(own)), epfd_(own_.get()), listener_(listener), stop_(stop) {
    epoll_add(epfd_, stop_, 0U);
  }

  WaitOutcome wait() override {
    epoll_event ready[4];
    const int n = ::epoll_wait(epfd_, ready, 4, -1);
    if (n < 0 && errno != EINTR) throw_errno("epoll_wait");
    bool listener_ready = false;
    bool stop_ready = false;
    for (int i = 0; i < n; ++i) {
      listener_ready = listener_ready || ready[i].data.fd == listener_;
      stop_ready = stop_ready || ready[i].data.fd == stop_;
    }
    return outcome(listener_ready, stop_ready);
  }
  int listener() const override { return listener_; }

 private:
  OwnedFd own_;
  int epfd_;
  int listener_;
  int stop_;
};

class PollWaiter final : public Waiter {
 public:
  PollWaiter(int listener, int stop) : listener_(listener), stop_(stop) {}

  WaitOutcome wait() override {
    pollfd p[2] = {{listener_, POLLIN, 0}, {stop_, POLLIN, 0}};
    const int n = ::poll(p, 2, -1);
    if (n < 0 && errno != EINTR) throw_errno("poll");
    if (n <= 0) return WaitOutcome::nothing;
    return outcome((p[0].revents & POLLIN) != 0, (p[1].revents & POLLIN) != 0);
  }
  int listener() const override { return listener_; }

 private:
  int listener_;
  int stop_;
};

// A ring of its own with one multishot poll on the shared listener: the kernel posts a
// completion each time the listener's wait queue is woken with POLLIN, in every ring.
class IoUringWaiter final : public Waiter {
 public:
  IoUringWaiter(int listener, int stop) : listener_(listener), stop_(stop) {
    const int err = ::io_uring_queue_init(8, &ring_, 0);
    if (err < 0) throw_negative_errno(err, "io_uring_queue_init");
    arm(listener_, kListenerTag);
    arm(stop_, kStopTag);
  }
  ~IoUringWaiter() override { ::io_uring_queue_exit(&ring_); }

  WaitOutcome wait() override {
    io_uring_cqe* cqe = nullptr;
    const int err = ::io_uring_wait_cqe(&ring_, &cqe);
    if (err == -EINTR) return WaitOutcome::nothing;
    if (err < 0) throw_negative_errno(err, "io_uring_wait_cqe");
    // Reap everything this return brought: it is one wakeup however many completions it holds.
    bool listener_ready = false;
    bool stop_ready = false;
    bool rearm_listener = false;
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      if (cqe->res < 0) throw_negative_errno(cqe->res, "io_uring multishot poll");
      const bool readable = (cqe->res & POLLIN) != 0;
      if (cqe->user_data == kListenerTag) {
        listener_ready = listener_ready || readable;
        rearm_listener = rearm_listener || (cqe->flags & IORING_CQE_F_MORE) == 0;
      } else {
        stop_ready = stop_ready || readable;  // never re-armed: once is enough
      }
    }
    ::io_uring_cq_advance(&ring_, seen);
    if (rearm_listener) arm(listener_, kListenerTag);
    return outcome(listener_ready, stop_ready);
  }
  int listener() const override { return listener_; }

 private:
  static constexpr std::uint64_t kListenerTag = 1;
  static constexpr std::uint64_t kStopTag = 2;

  void arm(int fd, std::uint64_t tag) {
    io_uring_sqe* sqe = ::io_uring_get_sqe(&ring_);
    if (sqe == nullptr) throw std::runtime_error("io_uring: no free submission entry");
    ::io_uring_prep_poll_multishot(sqe, fd, POLLIN);
    ::io_uring_sqe_set_data64(sqe, tag);
    const int err = ::io_uring_submit(&ring_);
    if (err < 0) throw_negative_errno(err, "io_uring_submit poll");
  }

  io_uring ring_{};
  int listener_;
  int stop_;
};

}  // namespace

const std::array<ModeInfo, pollbench::kAcceptModes.size()>& modes() { return pollbench::kAcceptModes; }

Mode mode_by_name(std::string_view name) {
  if (const auto mode = pollbench::accept_mode_by_name(name, false)) return *mode;
  throw std::invalid_argument("unknown mode '" + std::string(name) + "' (valid: " + pollbench::accept_mode_names(false) + ")");
}

std::string unavailable_reason(Mode mode) {
  if (mode != Mode::io_uring_per_thread) return {};
  try {
    OwnedFd listener = listen_loopback(0, false);
    OwnedFd stop(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    IoUringWaiter probe(listener.get(), stop.get());
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

Setup::Setup(Mode mode, int threads) : mode_(mode) {
  if (threads < 1) throw std::invalid_argument("herd: threads must be at least 1");
  stop_ = OwnedFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!stop_) throw_errno("eventfd");
  listeners_.push_back(listen_loopback(0, mode == Mode::reuseport));
  port_ = port_of(listeners_.front().get());
  if (mode == Mode::reuseport) {
    for (int i = 1; i < threads; ++i) listeners_.push_back(listen_loopback(port_, true));
  }
  if (mode == Mode::shared_epoll_lt || mode == Mode::shared_epoll_et) {
    shared_epoll_ = new_epoll();
    epoll_add(shared_epoll_.get(), listeners_.front().get(), mode == Mode::shared_epoll_et ? EPOLLET : 0U);
    epoll_add(shared_epoll_.get(), stop_.get(), 0U);
  }
}

void Setup::stop() {
  const std::uint64_t one = 1;
  if (::write(stop_.get(), &one, sizeof one) != static_cast<ssize_t>(sizeof one)) throw_errno("eventfd write");
}

Setup::~Setup() = default;

std::unique_ptr<Waiter> Setup::make_waiter(int index) const {
  const int shared = listeners_.front().get();
  switch (mode_) {
    case Mode::shared_epoll_lt:
    case Mode::shared_epoll_et:
      return std::make_unique<EpollWaiter>(shared_epoll_.get(), shared, stop_.get());
    case Mode::epoll_per_thread:
    case Mode::epoll_exclusive: {
      OwnedFd epfd = new_epoll();
      epoll_add(epfd.get(), shared, mode_ == Mode::epoll_exclusive ? EPOLLEXCLUSIVE : 0U);
      return std::make_unique<EpollWaiter>(std::move(epfd), shared, stop_.get());
    }
    case Mode::reuseport: {
      const int own = listeners_.at(static_cast<std::size_t>(index)).get();
      OwnedFd epfd = new_epoll();
      epoll_add(epfd.get(), own, 0U);
      return std::make_unique<EpollWaiter>(std::move(epfd), own, stop_.get());
    }
    case Mode::poll_per_thread:
      return std::make_unique<PollWaiter>(shared, stop_.get());
    case Mode::io_uring_per_thread:
      return std::make_unique<IoUringWaiter>(shared, stop_.get());
  }
  throw std::logic_error("herd: unhandled mode");
}

}  // namespace pollbench::herd
