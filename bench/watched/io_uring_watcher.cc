// io_uring as a Watcher: one multishot IORING_OP_POLL_ADD per watched file. The request takes
// its own reference to the file when it is submitted, so the fd may be closed right after.
// user_data = token << 32 | fd number at registration, which is all a re-arm or a cancel needs.
//
// The ring: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN where the kernel has them
// (6.1+), else a plain ring, or a plain ring when asked (for io_uring_plain); setup() names
// which, and the results carry it. With
// DEFER_TASKRUN the poll re-check that posts a completion runs inside the wait (in
// io_uring_enter with GETEVENTS), so the timed wait holds it; on a plain ring it runs as task
// work when the writer's write() returns, outside the timed wait (the write_ns counter).
// add() and remove() submit at once: one io_uring_enter each, the counterpart of one epoll_ctl.
#include <liburing.h>
#include <poll.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "watcher.h"

namespace pollbench::watched {

namespace {

constexpr unsigned kSqEntries = 256;
constexpr unsigned kCqEntries = 4096;
constexpr std::uint64_t kCancelRequest = ~std::uint64_t{0};  // user_data of poll-remove requests

std::uint64_t user_data(int fd, Token token) {
  return (std::uint64_t{token} << 32) | static_cast<std::uint32_t>(fd);
}

[[noreturn]] void fail(int negative_errno, const std::string& what) {
  throw std::system_error(-negative_errno, std::generic_category(), what);
}

class IoUringWatcher final : public Watcher {
 public:
  IoUringWatcher(std::string name, bool plain_ring) : name_(std::move(name)) {
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    params.cq_entries = kCqEntries;
    int rc = plain_ring ? -EINVAL : io_uring_queue_init_params(kSqEntries, &ring_, &params);
    setup_ = "SINGLE_ISSUER|DEFER_TASKRUN";
    if (rc == -EINVAL) {  // asked for, or a kernel before 6.1
      params = io_uring_params{};
      params.flags = IORING_SETUP_CQSIZE;
      params.cq_entries = kCqEntries;
      rc = io_uring_queue_init_params(kSqEntries, &ring_, &params);
      setup_ = "plain";
    }
    if (rc < 0) fail(rc, "io_uring_queue_init_params");
  }
  ~IoUringWatcher() override { io_uring_queue_exit(&ring_); }

  std::string_view name() const override { return name_; }
  std::string setup() const override { return "ring " + setup_; }

  void add(int fd, Token token) override {
    arm(fd, token);
    submit("io_uring poll add fd=" + std::to_string(fd));
  }

  void remove(int fd, Token token) override {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_poll_remove(sqe, user_data(fd, token));
    io_uring_sqe_set_data64(sqe, kCancelRequest);
    submit("io_uring poll remove fd=" + std::to_string(fd));
  }

  std::size_t wait(std::span<Token> ready, std::chrono::milliseconds timeout) override {
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts{};
    ts.tv_sec = timeout.count() / 1000;
    ts.tv_nsec = (timeout.count() % 1000) * 1000000;
    const int rc = io_uring_wait_cqes(&ring_, &cqe, 1, &ts, nullptr);
    if (rc == -ETIME || rc == -EINTR || rc == -EAGAIN) return 0;
    if (rc < 0) fail(rc, "io_uring_wait_cqes");
    std::size_t n = 0;
    unsigned head = 0;
    unsigned seen = 0;
    bool rearmed = false;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      if (n == ready.size()) break;
      ++seen;
      if (cqe->user_data == kCancelRequest || cqe->res == -ECANCELED) continue;
      const auto token = static_cast<Token>(cqe->user_data >> 32);
      if (!(cqe->flags & IORING_CQE_F_MORE)) {  // the kernel ended this multishot: arm it again
        arm(static_cast<int>(cqe->user_data & 0xffffffffU), token);
        rearmed = true;
      }
      ready[n++] = token;
    }
    io_uring_cq_advance(&ring_, seen);
    if (rearmed) submit("io_uring re-arm multishot poll");
    return n;
  }

  void discard_pending() override {
    io_uring_get_events(&ring_);  // runs deferred task work, which posts the cancellations
    io_uring_cq_advance(&ring_, io_uring_cq_ready(&ring_));
  }

 private:
  io_uring_sqe* next_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      submit("io_uring submit (queue full)");
      sqe = io_uring_get_sqe(&ring_);
      if (sqe == nullptr) fail(-EBUSY, "io_uring_get_sqe");
    }
    return sqe;
  }

  void arm(int fd, Token token) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_poll_multishot(sqe, fd, POLLIN);
    io_uring_sqe_set_data64(sqe, user_data(fd, token));
  }

  void submit(const std::string& what) {
    if (int rc = io_uring_submit(&ring_); rc < 0) fail(rc, what);
  }

  io_uring ring_{};
  std::string name_;
  std::string setup_;
};

}  // namespace

std::unique_ptr<Watcher> make_io_uring_watcher(std::string name, bool plain_ring) {
  return std::make_unique<IoUringWatcher>(std::move(name), plain_ring);
}

}  // namespace pollbench::watched
