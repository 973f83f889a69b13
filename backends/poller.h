// pollbench: one readiness interface over select(2), poll(2), epoll(7) and io_uring.
//
// Shaped like Rust mio: registering (add / modify / remove an fd with an Interest and a
// caller-chosen Token) is separate from waiting (wait fills a caller-owned Events buffer in
// place, so a wait allocates nothing). A poller never closes the caller's fds.
//
// What each backend promises, and what one wait costs it:
//
// | name     | reports a ready fd                    | cost of one wait                              |
// |----------|---------------------------------------|-----------------------------------------------|
// | select   | on every wait while it stays ready    | copy the interest bit sets (maxfd/64 words),   |
// |          | (level-triggered)                     | kernel checks every fd <= maxfd, scan all bits |
// | poll     | on every wait while it stays ready    | kernel checks all N pollfds, scan N revents   |
// | epoll_lt | on every wait while it stays ready    | O(ready): walk the kernel's ready list        |
// | epoll_et | once per edge (new data, new space)   | O(ready); a drained fd leaves the ready list  |
// | io_uring | once per wakeup (edge-like: multishot | O(ready): reap completion queue entries       |
// |          | poll posts a completion per wakeup)   | (poll mask re-checked by the kernel per CQE)  |
//
// select works for fds at and above FD_SETSIZE: it sizes its own bit words, as libevent does.
//
// Errors: every call that fails throws std::system_error whose code is the errno and whose
// message says what was being done ("epoll_ctl ADD fd=17"). On every backend alike: add()
// of a negative fd or one beyond the fd limit gives EBADF, add() of a registered fd EEXIST,
// and modify() or remove() of an fd that is not registered (a negative one included) ENOENT.
// add() of a closed fd costs no system call beyond the mechanism's own, so it is found by the
// mechanism: epoll_ctl and io_uring give EBADF at add(); select and poll, which make no
// system call at registration, accept it and report it with `error` at the next wait, as
// they do any registered fd that is closed (below).
//
// A registered fd that the caller closes before remove(): select and poll report it with
// `error` (poll sees POLLNVAL, select EBADF), epoll forgets it when its last reference goes,
// io_uring keeps polling the file its request holds. remove() afterwards always succeeds.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pollbench {

using Token = std::uint64_t;

// What the caller wants to hear about. Never empty.
enum class Interest : std::uint8_t { readable = 1, writable = 2, both = 3 };

inline bool wants_read(Interest i) { return (static_cast<unsigned>(i) & 1U) != 0; }
inline bool wants_write(Interest i) { return (static_cast<unsigned>(i) & 2U) != 0; }

// Bits of Event::ready.
enum Ready : std::uint8_t {
  kReadable = 1,  // data, EOF or a pending connection: a read will not block
  kWritable = 2,  // space to write
  kHangup = 4,    // peer closed (POLLHUP / EPOLLHUP / EPOLLRDHUP); select shows it as readable
  kError = 8,     // POLLERR / EPOLLERR / POLLNVAL, or the fd was closed while registered
};

struct Event {
  Token token;
  int fd;
  std::uint8_t ready;  // Ready bits
  bool readable() const { return (ready & kReadable) != 0; }
  bool writable() const { return (ready & kWritable) != 0; }
  bool hangup() const { return (ready & kHangup) != 0; }
  bool error() const { return (ready & kError) != 0; }
};

// The caller-owned buffer a wait fills. Its capacity is fixed at construction: a wait reports
// at most capacity() events, and ready fds beyond that are reported by a later wait.
class Events {
 public:
  explicit Events(std::size_t capacity) : slots_(capacity == 0 ? 1 : capacity) {}

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t capacity() const { return slots_.size(); }
  const Event& operator[](std::size_t i) const { return slots_[i]; }
  const Event* begin() const { return slots_.data(); }
  const Event* end() const { return slots_.data() + size_; }

  // For backends.
  void clear() { size_ = 0; }
  bool full() const { return size_ == slots_.size(); }
  void push(Token token, int fd, std::uint8_t ready) { slots_[size_++] = Event{token, fd, ready}; }

 private:
  std::vector<Event> slots_;
  std::size_t size_ = 0;
};

// A wait with this timeout blocks until something is ready.
inline constexpr std::chrono::nanoseconds kForever{-1};

class Poller {
 public:
  enum class Trigger { level, edge };

  virtual ~Poller() = default;
  Poller() = default;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  virtual std::string_view name() const = 0;
  // level: a ready fd is reported on every wait until drained; edge: once per new readiness.
  virtual Trigger trigger() const = 0;

  virtual void add(int fd, Interest interest, Token token) = 0;
  virtual void modify(int fd, Interest interest, Token token) = 0;
  virtual void remove(int fd) = 0;

  // Clears `events`, then fills it with up to events.capacity() ready fds. Returns how many.
  // timeout 0 returns at once; kForever blocks; a positive timeout is rounded up to the
  // mechanism's resolution (ms for poll and epoll, us for select), never down to a busy 0.
  // A wait interrupted by a signal returns 0 events, early. So can the first blocking wait
  // after this thread closed an io_uring ring (the io_uring probe in backends() does): the
  // kernel notifies the thread with task work, which interrupts its next blocking call
  // (measured: epoll_wait(30 ms) back after 0.03 ms in 15 of 50 tries). Callers that need the
  // full timeout wait again.
  virtual std::size_t wait(Events& events, std::chrono::nanoseconds timeout) = 0;

  // How many fds are registered.
  virtual std::size_t watched() const = 0;
};

struct BackendInfo {
  std::string name;
  bool available;
  std::string reason;  // why not, when unavailable
  std::string setup;   // how it runs here, for a backend with more than one way (else empty)
};

// Every backend this build knows, in a fixed order, each probed on this machine (io_uring
// really creates a ring and arms a multishot poll).
const std::vector<BackendInfo>& backends();
// The names of the available ones, in the same order.
std::vector<std::string> available_backends();
// Throws std::invalid_argument for an unknown name (the message lists the valid ones) and
// std::runtime_error naming the reason for a backend this machine cannot run.
std::unique_ptr<Poller> make_poller(std::string_view name);

}  // namespace pollbench
