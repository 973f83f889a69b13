// io_uring readiness: one multishot IORING_OP_POLL_ADD per registered fd. The kernel posts a
// completion (CQE) each time the file wakes its waiters with a matching mask, so a wait reaps
// only what happened: O(ready). That is once per wakeup, edge-like: an fd that stays readable
// is not reported again until new data arrives. When the kernel ends a multishot (a CQE
// without IORING_CQE_F_MORE, -ECANCELED included when we did not cancel it), the poll is armed
// again.
//
// Two backends share this file and differ only in the ring (io_uring_ring.h):
//   io_uring        the ring event loops use: DEFER_TASKRUN (falling back to COOP_TASKRUN, then
//                   plain). A wakeup only queues the poll re-check; the wait runs it and posts
//                   the completion, in the waiting thread, inside the timed wait.
//   io_uring_plain  a plain ring: the re-check runs as task work when the ring's thread next
//                   returns from any system call. In wait_bench that is the writer's write(),
//                   so the completion is already there when the timed wait starts.
//
// Each poll carries user_data = generation << 32 | fd. modify() and remove() bump the fd's
// generation, so CQEs still queued from an earlier registration are recognised and dropped.
// add / modify / remove submit at once, one io_uring_enter each, as epoll_ctl is one system
// call:
//   modify  IORING_OP_POLL_REMOVE with IORING_POLL_UPDATE_EVENTS | _USER_DATA: the live
//           multishot poll takes the new mask and generation and is re-checked at once. When
//           the kernel refuses the update, a second enter follows: -EALREADY (the poll's wakeup
//           is queued as task work) cancels the poll and arms a new one, -ENOENT (the poll has
//           ended) arms a new one.
//   remove  IORING_OP_ASYNC_CANCEL. Not POLL_REMOVE: that refuses (-EALREADY) a poll whose
//           wakeup is still queued as task work, and a poll left alive keeps its file open, so
//           a socket the caller closes after remove() would not send its FIN until the poll
//           ends. With deferred task work that lasts until the next wait, so a half-closed peer
//           would wait that long for its EOF (tests/conformance_halfclose_test.cc,
//           HalfClosedPeerGetsEofAfterRemoveAndClose). ASYNC_CANCEL marks the poll cancelled
//           whatever state it is in; the same enter runs the task work that completes it.
// The costs of these calls and of a wait, per ring set-up, are measured by wait_bench's ctl and
// wait families (docs/wait.md; the reference runs' reports in results/).
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "backend.h"
#include "fd.h"
#include "io_uring_ring.h"
#include "masks.h"
#include "registry.h"

namespace pollbench {

namespace {

constexpr unsigned kSqEntries = 4096;
// CQEs beyond the ring wait in the kernel's overflow list (IORING_FEAT_NODROP); a big ring
// keeps the common case off that slower path. 65536 is the kernel's IORING_MAX_CQ_ENTRIES.
constexpr unsigned kCqEntries = 65536;
// user_data of our own requests (updates, cancels): the top bit, which no poll's carries.
constexpr std::uint64_t kControl = std::uint64_t{1} << 63;
constexpr std::uint32_t kGenerationMask = 0x7fffffffU;
// Bound on waiting for the kernel to free a closed ring (it takes a few milliseconds).
constexpr int kTeardownWaitMs = 2000;

unsigned poll_mask(Interest interest) { return interest_mask(interest, kPollBits); }

std::uint64_t user_data(int fd, std::uint32_t generation) {
  return (std::uint64_t{generation & kGenerationMask} << 32) | static_cast<std::uint32_t>(fd);
}

class IoUringPoller final : public BackendPoller {
 public:
  IoUringPoller(const BackendTraits& traits, RingSetup wanted) : BackendPoller(traits), name_(traits.name) {
    if (int rc = init_ring(&ring_, kSqEntries, kCqEntries, wanted, &setup_); rc < 0) {
      throw_negative_errno(rc, "io_uring_queue_init_params");
    }
  }
  ~IoUringPoller() override { close_ring(); }

  void add(int fd, Interest interest, Token token) override {
    const auto& slot = registry_.add(fd, interest, token, name_);
    const std::uint64_t data = user_data(fd, slot.generation);
    try {
      arm(fd, slot.interest, slot.generation);
      submit("poll add fd=", fd);
    } catch (...) {
      registry_.remove(fd, name_);
      cancel_quietly(data);  // in case the poll is still queued: it must not outlive the entry
      throw;
    }
    // A poll the kernel refuses completes at once, during the submit, without F_MORE.
    if (const io_uring_cqe* cqe = find(data); cqe != nullptr && cqe->res < 0 && !(cqe->flags & IORING_CQE_F_MORE)) {
      const int err = -cqe->res;
      registry_.remove(fd, name_);  // its CQE is now stale and will be dropped
      throw_errno(err, std::string(name_) + " poll add fd=" + std::to_string(fd));
    }
  }

  void modify(int fd, Interest interest, Token token) override {
    const auto& slot = registry_.modify(fd, interest, token, name_);
    const std::uint64_t old = user_data(fd, slot.generation - 1);  // modify bumped it by one
    const std::uint64_t tag = next_control();
    io_uring_sqe* sqe = next_sqe();
    // Only the mask's low 16 bits are replaced: the request stays multishot.
    io_uring_prep_poll_update(sqe, old, user_data(fd, slot.generation), poll_mask(slot.interest),
                              IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA);
    io_uring_sqe_set_data64(sqe, tag);
    const int res = submit("poll update fd=", fd, tag);
    if (res == -EALREADY) {
      // The poll's wakeup is queued as task work and owns it: cancel it (always possible) and
      // arm a new one instead.
      cancel(old);
      arm(fd, slot.interest, slot.generation);
      submit("poll cancel and re-add fd=", fd);
    } else if (res == -ENOENT) {
      // The poll had ended (its last CQE, now stale, is still queued): arm a new one.
      arm(fd, slot.interest, slot.generation);
      submit("poll re-add fd=", fd);
    } else if (res < 0) {
      throw_errno(-res, std::string(name_) + " poll update fd=" + std::to_string(fd));
    }
  }

  void remove(int fd) override {
    const auto& slot = registry_.remove(fd, name_);
    cancel(user_data(fd, slot.generation - 1));  // remove bumped the generation by one
    submit("poll cancel fd=", fd);
  }

  std::size_t wait(Events& events, std::chrono::nanoseconds timeout) override {
    events.clear();
    // Queued task work (DEFER_TASKRUN, COOP_TASKRUN: the kernel sets IORING_SQ_TASKRUN) is the
    // poll re-check that posts completions. liburing's peek, and its wait when a completion is
    // already queued, return without entering the kernel, so that work would stay queued:
    // run it here, in this wait.
    run_task_work(events.capacity());
    if (io_uring_cq_ready(&ring_) == 0) {
      io_uring_cqe* cqe = nullptr;
      int rc = 0;
      if (timeout == std::chrono::nanoseconds::zero()) {
        rc = io_uring_peek_cqe(&ring_, &cqe);  // enters the kernel only to flush overflowed CQEs
      } else {
        __kernel_timespec ts{};
        __kernel_timespec* tsp = nullptr;
        if (timeout > std::chrono::nanoseconds::zero()) {
          ts.tv_sec = timeout.count() / 1000000000;
          ts.tv_nsec = timeout.count() % 1000000000;
          tsp = &ts;
        }
        rc = io_uring_wait_cqes(&ring_, &cqe, 1, tsp, nullptr);
      }
      if (rc == -ETIME || rc == -EINTR || rc == -EAGAIN) return 0;
      if (rc < 0) throw_errno(-rc, "io_uring_wait_cqes");
      run_task_work(events.capacity());  // the wait returned at the first completion
    }
    reap(events);
    if (rearm_pending_) submit("re-arm multishot, fd=", -1);
    return events.size();
  }

  std::size_t watched() const override { return registry_.size(); }


  RingSetup setup() const { return setup_; }

 private:
  // Runs queued task work (the kernel sets IORING_SQ_TASKRUN when there is some) until a call
  // posts nothing more or `room` completions are waiting. The kernel runs a bounded batch per
  // io_uring_enter (a wait with 250 ready fds got 20 completions from one get_events here), so
  // one call is not enough for a wait to report every ready fd that fits, as epoll_wait does.
  // Stopping when a call adds nothing keeps the loop short in a busy server: looping while the
  // flag alone was set cut pollserver from ~70k to ~18k requests/s (wrk -t1 -c100, measured).
  void run_task_work(std::size_t room) {
    unsigned ready = io_uring_cq_ready(&ring_);
    while ((IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_TASKRUN) && ready < room) {
      const int rc = io_uring_get_events(&ring_);
      if (rc == -EINTR || rc == -EAGAIN) return;
      if (rc < 0) throw_errno(-rc, "io_uring_get_events");
      const unsigned now_ready = io_uring_cq_ready(&ring_);
      if (now_ready == ready) return;
      ready = now_ready;
    }
  }

  // A completion nobody wants: one of our own requests', or one from a poll since removed or
  // replaced (its generation is no longer the fd's).
  bool stale(const io_uring_cqe& cqe) const {
    if (cqe.user_data & kControl) return true;
    const int fd = static_cast<int>(cqe.user_data & 0xffffffffU);
    const auto generation = static_cast<std::uint32_t>(cqe.user_data >> 32);
    return !registry_.contains(fd) || (registry_[fd].generation & kGenerationMask) != generation;
  }

  // The queued CQE with this user_data, or nullptr. Updates and cancels complete during the
  // submit that carries them, so their result is in the queue when submit() returns.
  const io_uring_cqe* find(std::uint64_t data) {
    unsigned head = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      if (cqe->user_data == data) return cqe;
    }
    return nullptr;
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
      if (!(cqe->flags & IORING_CQE_F_MORE)) {
        // The kernel ended this multishot. A live poll's -ECANCELED is not ours (we cancel only
        // polls whose generation we have already moved past), so it is armed again too.
        arm(fd, slot.interest, slot.generation);
        rearm_pending_ = true;
      }
      if (cqe->res == -ECANCELED) continue;
      const std::uint8_t ready = cqe->res < 0 ? std::uint8_t{kError} : ready_of(static_cast<unsigned>(cqe->res), kPollBits);
      events.push(slot.token, fd, ready);
    }
    io_uring_cq_advance(&ring_, seen);
  }

  io_uring_sqe* next_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {  // submission queue full: flush it and take a fresh entry
      if (int rc = io_uring_submit(&ring_); rc < 0) throw_errno(-rc, std::string(name_) + " io_uring_submit");
      sqe = io_uring_get_sqe(&ring_);
      if (sqe == nullptr) throw_errno(EBUSY, std::string(name_) + " io_uring_get_sqe");
    }
    return sqe;
  }

  std::uint64_t next_control() { return kControl | ++control_count_; }

  void arm(int fd, Interest interest, std::uint32_t generation) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_poll_multishot(sqe, fd, poll_mask(interest));
    io_uring_sqe_set_data64(sqe, user_data(fd, generation));
  }

  void cancel(std::uint64_t data) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_cancel64(sqe, data, 0);
    io_uring_sqe_set_data64(sqe, next_control());
  }

  // For a path that is already failing: queues the cancel without throwing.
  void cancel_quietly(std::uint64_t data) noexcept {
    if (io_uring_sqe* sqe = io_uring_get_sqe(&ring_)) {
      io_uring_prep_cancel64(sqe, data, 0);
      io_uring_sqe_set_data64(sqe, next_control());
    }
  }

  // Submits and, in the same io_uring_enter, runs queued task work: a cancelled poll drops its
  // reference to the file now, so a socket the caller closes after remove() really closes (the
  // peer sees EOF) instead of lingering until the ring's next enter. Returns the result of the
  // completion tagged `tag` (0 if none is queued), read before drop_stale_head() discards it:
  // a control completion is stale to everything else.
  int submit(const char* what, int fd, std::uint64_t tag = 0) {
    int rc = io_uring_submit_and_get_events(&ring_);
    if (rc < 0) throw_errno(-rc, std::string(name_) + " " + what + std::to_string(fd));
    rearm_pending_ = false;
    const io_uring_cqe* cqe = tag != 0 ? find(tag) : nullptr;
    const int result = cqe != nullptr ? cqe->res : 0;
    drop_stale_head();
    return result;
  }

  // The kernel tears a closed ring down in a worker and, at the end, sends task work to every
  // thread that used it. That notification ends the thread's next blocking epoll_wait early
  // with EINTR (select and poll restart, io_uring waits run it), so a poller destroyed here
  // would cut short a wait made later by any backend on this thread. Wait here until the
  // kernel is done instead: the write end of a pipe registered with the ring is released only
  // when the ring is freed, which is after that task work ran, so the read end's hang-up marks
  // the end. poll() restarts by itself when the notification runs.
  void close_ring() noexcept {
    int pipe_fds[2] = {-1, -1};
    bool marked = false;
    if (::pipe2(pipe_fds, O_CLOEXEC) == 0) {
      marked = io_uring_register_files(&ring_, &pipe_fds[1], 1) == 0;
      ::close(pipe_fds[1]);  // the ring's registered copy is now the only writer
      if (!marked) ::close(pipe_fds[0]);
    }
    io_uring_queue_exit(&ring_);
    if (!marked) return;
    pollfd hangup{pipe_fds[0], POLLIN, 0};
    ::poll(&hangup, 1, kTeardownWaitMs);
    ::close(pipe_fds[0]);
  }

  const char* name_;
  io_uring ring_{};
  RingSetup setup_ = RingSetup::plain;
  Registry registry_;
  bool rearm_pending_ = false;
  std::uint64_t control_count_ = 0;
};

// Really tries, with the set-up `wanted`: a ring, and a multishot poll on a readable pipe that
// must complete with IORING_CQE_F_MORE (multishot poll needs Linux 5.13).
BackendProbe probe_on_this_thread(RingSetup wanted) {
  io_uring ring{};
  RingSetup used = RingSetup::plain;
  if (int rc = init_ring(&ring, 4, 8, wanted, &used); rc < 0) {
    return {std::string("io_uring_queue_init failed: ") + std::strerror(-rc) +
                (rc == -EPERM ? " (io_uring disabled: see /proc/sys/kernel/io_uring_disabled or seccomp)" : ""),
            ""};
  }
  std::string reason;
  try {
    FdPair pipe = make_pipe();
    write_byte(pipe.b.get());
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_poll_multishot(sqe, pipe.a.get(), POLLIN);
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts{1, 0};
    if (int rc = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, nullptr); rc < 0) {
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
  return {reason, reason.empty() ? to_string(used) : ""};
}

// On a thread of its own, which ends with it: closing a ring makes the kernel send task work
// to every thread that used it, and that notification ends the thread's next blocking
// epoll_wait early with EINTR. The probe must leave the caller's thread untouched.
BackendProbe probe(RingSetup wanted) {
  BackendProbe result;
  std::thread([&] { result = probe_on_this_thread(wanted); }).join();
  return result;
}

// The file watcher: one multishot IORING_OP_POLL_ADD per watched file. The request takes its
// own reference to the file when it is submitted, so the fd may be closed right after.
// user_data = token << 32 | fd number at registration, which is all a re-arm or a cancel needs.
//
// The ring: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN where the kernel has them
// (6.1+), else a plain ring, or a plain ring when asked (for io_uring_plain); setup() names
// which, and the results carry it. With DEFER_TASKRUN the poll re-check that posts a completion
// runs inside the wait (in io_uring_enter with GETEVENTS), so the timed wait holds it; on a
// plain ring it runs as task work when the writer's write() returns, outside the timed wait
// (the write_ns counter). add() and remove() submit at once: one io_uring_enter each, the
// counterpart of one epoll_ctl. Smaller queues than the poller's: one wait reports one socket.
class IoUringWatcher final : public Watcher {
 public:
  IoUringWatcher(const BackendTraits& traits, bool plain_ring) : name_(traits.name) {
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    params.cq_entries = kWatcherCqEntries;
    int rc = plain_ring ? -EINVAL : io_uring_queue_init_params(kWatcherSqEntries, &ring_, &params);
    setup_ = "SINGLE_ISSUER|DEFER_TASKRUN";
    if (rc == -EINVAL) {  // asked for, or a kernel before 6.1
      params = io_uring_params{};
      params.flags = IORING_SETUP_CQSIZE;
      params.cq_entries = kWatcherCqEntries;
      rc = io_uring_queue_init_params(kWatcherSqEntries, &ring_, &params);
      setup_ = "plain";
    }
    if (rc < 0) throw_negative_errno(rc, "io_uring_queue_init_params");
  }
  ~IoUringWatcher() override { io_uring_queue_exit(&ring_); }

  std::string_view name() const override { return name_; }
  std::string setup() const override { return "ring " + setup_; }

  void add(int fd, WatchToken token) override {
    arm(fd, token);
    submit("io_uring poll add fd=" + std::to_string(fd));
  }

  void remove(int fd, WatchToken token) override {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_poll_remove(sqe, watch_data(fd, token));
    io_uring_sqe_set_data64(sqe, kCancelRequest);
    submit("io_uring poll remove fd=" + std::to_string(fd));
  }

  std::size_t wait(std::span<WatchToken> ready, std::chrono::milliseconds timeout) override {
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts{};
    ts.tv_sec = timeout.count() / 1000;
    ts.tv_nsec = (timeout.count() % 1000) * 1000000;
    const int rc = io_uring_wait_cqes(&ring_, &cqe, 1, &ts, nullptr);
    if (rc == -ETIME || rc == -EINTR || rc == -EAGAIN) return 0;
    if (rc < 0) throw_negative_errno(rc, "io_uring_wait_cqes");
    std::size_t n = 0;
    unsigned head = 0;
    unsigned seen = 0;
    bool rearmed = false;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      if (n == ready.size()) break;
      ++seen;
      if (cqe->user_data == kCancelRequest || cqe->res == -ECANCELED) continue;
      const auto token = static_cast<WatchToken>(cqe->user_data >> 32);
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
  static constexpr unsigned kWatcherSqEntries = 256;
  static constexpr unsigned kWatcherCqEntries = 4096;
  static constexpr std::uint64_t kCancelRequest = ~std::uint64_t{0};  // user_data of poll-remove requests

  static std::uint64_t watch_data(int fd, WatchToken token) {
    return (std::uint64_t{token} << 32) | static_cast<std::uint32_t>(fd);
  }

  io_uring_sqe* next_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      submit("io_uring submit (queue full)");
      sqe = io_uring_get_sqe(&ring_);
      if (sqe == nullptr) throw_errno(EBUSY, "io_uring_get_sqe");
    }
    return sqe;
  }

  void arm(int fd, WatchToken token) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_poll_multishot(sqe, fd, POLLIN);
    io_uring_sqe_set_data64(sqe, watch_data(fd, token));
  }

  void submit(const std::string& what) {
    if (int rc = io_uring_submit(&ring_); rc < 0) throw_negative_errno(rc, what);
  }

  io_uring ring_{};
  const char* name_;
  std::string setup_;
};

// The raw baseline, on the io_uring backend's ring set-up (deferred task work: the wait enters
// the kernel, which runs the re-check the write queued and posts the completion): wait for a
// completion of the multishot polls, walk the completion queue, advance it.
void raw_io_uring(std::span<const int> watched, int timeout_ms, RawHarness& harness) {
  io_uring ring{};
  RingSetup setup = RingSetup::plain;
  if (int rc = init_ring(&ring, kSqEntries, kCqEntries, RingSetup::defer_taskrun, &setup); rc < 0) {
    throw_negative_errno(rc, "io_uring_queue_init_params");
  }
  struct RingGuard {
    io_uring* ring;
    ~RingGuard() { io_uring_queue_exit(ring); }
  } guard{&ring};
  for (int fd : watched) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (sqe == nullptr) {
      io_uring_submit(&ring);
      sqe = io_uring_get_sqe(&ring);
    }
    io_uring_prep_poll_multishot(sqe, fd, POLLIN);
    io_uring_sqe_set_data64(sqe, static_cast<std::uint64_t>(fd));
  }
  if (int rc = io_uring_submit(&ring); rc < 0) throw_negative_errno(rc, "io_uring_submit");
  run_raw_rounds(harness, [&] {
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    int rc;
    do rc = io_uring_wait_cqes(&ring, &cqe, 1, &ts, nullptr);
    while (rc == -EINTR);
    if (rc < 0 && rc != -ETIME) throw_negative_errno(rc, "io_uring_wait_cqes");
    RawResult r{0, 0};
    unsigned head = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      if (!(cqe->flags & IORING_CQE_F_MORE)) {  // never expected here; the Poller re-arms
        throw_errno(cqe->res < 0 ? -cqe->res : EPIPE, "io_uring multishot poll ended");
      }
      r.fd_sum += static_cast<long>(cqe->user_data);
      ++r.events;
    }
    io_uring_cq_advance(&ring, static_cast<unsigned>(r.events));
    return r;
  });
}

}  // namespace

const char* to_string(RingSetup setup) {
  switch (setup) {
    case RingSetup::defer_taskrun: return "defer_taskrun";
    case RingSetup::coop_taskrun: return "coop_taskrun";
    case RingSetup::plain: return "plain";
  }
  return "unknown";
}

int init_ring(io_uring* ring, unsigned sq_entries, unsigned cq_entries, RingSetup wanted, RingSetup* used) {
  constexpr RingSetup kOrder[] = {RingSetup::defer_taskrun, RingSetup::coop_taskrun, RingSetup::plain};
  int rc = -EINVAL;
  for (RingSetup setup : kOrder) {
    if (setup < wanted) continue;
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = cq_entries;
    if (setup == RingSetup::defer_taskrun) {
      params.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    } else if (setup == RingSetup::coop_taskrun) {
      params.flags |= IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    }
    rc = io_uring_queue_init_params(sq_entries, ring, &params);
    if (rc == 0) {
      *used = setup;
      return 0;
    }
    if (rc != -EINVAL) return rc;  // an older kernel refuses flags it does not know with EINVAL
  }
  return rc;
}

// Edge: a multishot poll posts one completion per wakeup, not one per wait while ready. Both
// set-ups share one raw baseline, the multishot poll written against liburing.
extern const Backend kIoUringBackend;
const Backend kIoUringBackend{
    {"io_uring", Poller::Trigger::edge, WaitCost::per_ready, InterestSet::kernel, true, kAnyFd, "io_uring"},
    []() -> std::unique_ptr<Poller> {
      return std::make_unique<IoUringPoller>(kIoUringBackend.traits, RingSetup::defer_taskrun);
    },
    [] { return probe(RingSetup::defer_taskrun); },  // setup: defer_taskrun, coop_taskrun or plain
    raw_io_uring,
    []() -> std::unique_ptr<Watcher> { return std::make_unique<IoUringWatcher>(kIoUringBackend.traits, false); },
};

extern const Backend kIoUringPlainBackend;
const Backend kIoUringPlainBackend{
    {"io_uring_plain", Poller::Trigger::edge, WaitCost::per_ready, InterestSet::kernel, true, kAnyFd, "io_uring"},
    []() -> std::unique_ptr<Poller> { return std::make_unique<IoUringPoller>(kIoUringPlainBackend.traits, RingSetup::plain); },
    [] { return probe(RingSetup::plain); },  // setup: plain
    raw_io_uring,
    []() -> std::unique_ptr<Watcher> { return std::make_unique<IoUringWatcher>(kIoUringPlainBackend.traits, true); },
};

}  // namespace pollbench
