// io_uring readiness: one multishot IORING_OP_POLL_ADD per registered fd. The kernel posts a
// completion (CQE) each time the file wakes its waiters with a matching mask, so a wait reaps
// only what happened: O(ready). That is once per wakeup, edge-like: an fd that stays readable
// is not reported again until new data arrives. When the kernel ends a multishot (a CQE
// without IORING_CQE_F_MORE), the poll is armed again.
//
// Each SQE carries user_data = generation << 32 | fd. remove() and modify() bump the fd's
// generation, so CQEs still queued from the poll they cancelled are recognised and dropped.
// add / modify / remove submit at once: one io_uring_enter each, the honest counterpart of
// one epoll_ctl.
//
// The ring is a plain one. With IORING_SETUP_DEFER_TASKRUN (Linux 6.1+) the poll re-check
// that posts each completion would run inside the wait, in the waiting thread, and tcp_bench's
// server did ~200k requests/s instead of ~70k; but a half-closed peer's FIN was then sometimes
// never reported (4 of 12 runs of tests/tcp_pollserver_test.py load io_uring), so it stays off
// until that is understood. Without it the task work runs when the thread next returns from a
// system call: in wait_bench that is the writer's write(), outside the timed wait.
#include <liburing.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "backends.h"
#include "fd.h"
#include "registry.h"

namespace pollbench {

// The ring set-up shared by the poller and its probe. Returns 0 or -errno.
int init_ring(io_uring* ring, unsigned sq_entries, unsigned cq_entries);

namespace {

constexpr unsigned kSqEntries = 4096;
// CQEs beyond the ring wait in the kernel's overflow list (IORING_FEAT_NODROP); a big ring
// keeps the common case off that slower path. 65536 is the kernel's IORING_MAX_CQ_ENTRIES.
constexpr unsigned kCqEntries = 65536;
constexpr std::uint64_t kIgnore = ~std::uint64_t{0};  // user_data of poll-remove requests

unsigned poll_mask(Interest interest) {
  unsigned mask = 0;
  if (wants_read(interest)) mask |= POLLIN | POLLRDHUP;
  if (wants_write(interest)) mask |= POLLOUT;
  return mask;
}

std::uint64_t user_data(int fd, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
}

class IoUringPoller final : public Poller {
 public:
  IoUringPoller() {
    if (int rc = init_ring(&ring_, kSqEntries, kCqEntries); rc < 0) throw_errno(-rc, "io_uring_queue_init_params");
  }
  ~IoUringPoller() override { io_uring_queue_exit(&ring_); }

  std::string_view name() const override { return "io_uring"; }
  Trigger trigger() const override { return Trigger::edge; }

  void add(int fd, Interest interest, Token token) override {
    const auto& slot = registry_.add(fd, interest, token, "io_uring");
    arm(fd, slot.interest, slot.generation);
    submit("io_uring poll add fd=", fd);
  }

  void modify(int fd, Interest interest, Token token) override {
    const auto& slot = registry_.modify(fd, interest, token, "io_uring");
    cancel(user_data(fd, slot.generation - 1));  // modify bumped the generation by one
    arm(fd, slot.interest, slot.generation);
    submit("io_uring poll modify fd=", fd);
  }

  void remove(int fd) override {
    const auto& slot = registry_.remove(fd, "io_uring");
    cancel(user_data(fd, slot.generation - 1));  // remove bumped the generation by one
    submit("io_uring poll remove fd=", fd);
  }

  std::size_t wait(Events& events, std::chrono::nanoseconds timeout) override {
    events.clear();
    io_uring_cqe* cqe = nullptr;
    if (timeout == std::chrono::nanoseconds::zero()) {
      // Peek without blocking (liburing enters the kernel only to flush overflowed CQEs).
      if (io_uring_peek_cqe(&ring_, &cqe) != 0) return 0;
    } else {
      __kernel_timespec ts{};
      __kernel_timespec* tsp = nullptr;
      if (timeout > std::chrono::nanoseconds::zero()) {
        ts.tv_sec = timeout.count() / 1000000000;
        ts.tv_nsec = timeout.count() % 1000000000;
        tsp = &ts;
      }
      int rc = io_uring_wait_cqes(&ring_, &cqe, 1, tsp, nullptr);
      if (rc == -ETIME || rc == -EINTR || rc == -EAGAIN) return 0;
      if (rc < 0) throw_errno(-rc, "io_uring_wait_cqes");
    }
    reap(events);
    if (rearm_pending_) submit("io_uring re-arm multishot, fd=", -1);
    return events.size();
  }

  std::size_t watched() const override { return registry_.size(); }

 private:
  // A completion nobody wants: a poll-remove's own, or one from a poll since removed or
  // replaced (its generation is no longer the fd's).
  bool stale(const io_uring_cqe& cqe) const {
    if (cqe.user_data == kIgnore) return true;
    const int fd = static_cast<int>(cqe.user_data & 0xffffffffU);
    const auto generation = static_cast<std::uint32_t>(cqe.user_data >> 32);
    return !registry_.contains(fd) || registry_[fd].generation != generation;
  }

  // Every remove and modify posts such completions. Dropping the ones at the head of the queue
  // after each submission keeps a caller that changes the interest set many times between
  // waits (a registration benchmark, a server closing many connections) from filling the queue.
  void drop_stale_head() {
    unsigned head = 0;
    unsigned stale_count = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      if (!stale(*cqe)) break;
      ++stale_count;
    }
    io_uring_cq_advance(&ring_, stale_count);
  }

  void reap(Events& events) {
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      if (events.full()) break;
      ++seen;
      if (stale(*cqe)) continue;
      const int fd = static_cast<int>(cqe->user_data & 0xffffffffU);
      const auto& slot = registry_[fd];
      if (!(cqe->flags & IORING_CQE_F_MORE) && cqe->res != -ECANCELED) {
        arm(fd, slot.interest, slot.generation);  // the kernel ended this multishot
        rearm_pending_ = true;
      }
      if (cqe->res == -ECANCELED) continue;
      std::uint8_t ready = 0;
      if (cqe->res < 0) {
        ready = kError;
      } else {
        const auto mask = static_cast<unsigned>(cqe->res);
        if (mask & (POLLIN | POLLPRI)) ready |= kReadable;
        if (mask & POLLOUT) ready |= kWritable;
        if (mask & (POLLHUP | POLLRDHUP)) ready |= kHangup;
        if (mask & (POLLERR | POLLNVAL)) ready |= kError;
      }
      events.push(slot.token, fd, ready);
    }
    io_uring_cq_advance(&ring_, seen);
  }

  io_uring_sqe* next_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {  // submission queue full: flush it and take a fresh entry
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
      if (sqe == nullptr) throw_errno(EBUSY, "io_uring_get_sqe");
    }
    return sqe;
  }

  void arm(int fd, Interest interest, std::uint32_t generation) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_poll_multishot(sqe, fd, poll_mask(interest));
    io_uring_sqe_set_data64(sqe, user_data(fd, generation));
  }

  void cancel(std::uint64_t old) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_poll_remove(sqe, old);
    io_uring_sqe_set_data64(sqe, kIgnore);
  }

  // Submits and, in the same io_uring_enter, runs pending task work: a cancelled poll drops
  // its reference to the file now, so a socket the caller closes after remove() really
  // closes (the peer sees EOF) instead of lingering until the thread's next system call.
  void submit(const char* what, int fd) {
    int rc = io_uring_submit_and_get_events(&ring_);
    if (rc < 0) throw_errno(-rc, what + std::to_string(fd));
    rearm_pending_ = false;
    drop_stale_head();
  }

  io_uring ring_{};
  Registry registry_;
  bool rearm_pending_ = false;
};

}  // namespace

int init_ring(io_uring* ring, unsigned sq_entries, unsigned cq_entries) {
  io_uring_params params{};
  params.flags = IORING_SETUP_CQSIZE;
  params.cq_entries = cq_entries;
  return io_uring_queue_init_params(sq_entries, ring, &params);
}

std::unique_ptr<Poller> make_io_uring_poller() { return std::make_unique<IoUringPoller>(); }

// Really tries: a ring, and a multishot poll on a readable pipe that must complete with
// IORING_CQE_F_MORE (multishot poll needs Linux 5.13).
std::string io_uring_unavailable_reason() {
  io_uring ring{};
  if (int rc = init_ring(&ring, 4, 8); rc < 0) {
    return std::string("io_uring_queue_init failed: ") + std::strerror(-rc) +
           (rc == -EPERM ? " (io_uring disabled: see /proc/sys/kernel/io_uring_disabled or seccomp)" : "");
  }
  std::string reason;
  try {
    FdPair pipe = make_pipe();
    write_byte(pipe.b.get());
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_poll_multishot(sqe, pipe.a.get(), POLLIN);
    io_uring_submit(&ring);
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts{1, 0};
    if (int rc = io_uring_wait_cqe_timeout(&ring, &cqe, &ts); rc < 0) {
      reason = std::string("multishot poll gave no completion: ") + std::strerror(-rc);
    } else if (cqe->res < 0) {
      reason = std::string("multishot poll refused: ") + std::strerror(-cqe->res) + " (needs Linux 5.13+)";
    } else if (!(cqe->flags & IORING_CQE_F_MORE)) {
      reason = "multishot poll not supported by this kernel (needs Linux 5.13+)";
    }
  } catch (const std::exception& e) {
    reason = std::string("probe failed: ") + e.what();
  }
  io_uring_queue_exit(&ring);
  return reason;
}

}  // namespace pollbench
