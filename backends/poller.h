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
// | io_uring | once per wakeup (edge-like: multishot | O(ready): run the deferred poll re-checks,   |
// |          | poll posts a completion per wakeup)   | which post the completions; reap them         |
// | io_uring | as io_uring                           | O(ready): reap completion queue entries; the  |
// | _plain   |                                       | re-check ran earlier as task work, at this    |
// |          |                                       | thread's return from some other system call   |
//
// io_uring's ring (backends/private/io_uring_ring.h) accepts submissions and waits only from the
// thread that created it (IORING_SETUP_SINGLE_ISSUER), so create, use and destroy a poller on
// one thread; the other backends only ask that calls do not overlap. Destroying an io_uring
// poller takes a few milliseconds: it waits until the kernel has freed the ring (see
// io_uring_poller.cc).
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
// `error` (poll sees POLLNVAL, select EBADF); epoll forgets it when the file's last reference
// goes, but while a dup, a forked child or a passed copy keeps the file open, epoll may go on
// reporting it under its number and token until remove(); io_uring keeps polling the file its
// request holds. remove() afterwards always succeeds, and from then on no event for the old
// file reaches the caller, even when the number is reused and added again (only the new
// registration's token appears). For epoll that remove() cannot reach the kernel's
// registration any more (the number names no file, or another one): the first wait that meets
// one of its events drops it and rebuilds the epoll set, an O(watched) step that such a wait
// pays once, and that may return early with no events.
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
// at most capacity() events, and ready fds beyond that are reported by a later wait. Fairly:
// with R fds ready and none drained, level-triggered backends report every one of them within
// ceil(R / capacity) waits (select and poll resume their scan after the last fd reported; the
// kernel rotates epoll's ready list), and edge-triggered ones report each pending edge exactly
// once, none lost for want of room, in as many waits.
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
  // A wait interrupted by a signal returns 0 events, early; callers that need the full
  // timeout wait again.
  virtual std::size_t wait(Events& events, std::chrono::nanoseconds timeout) = 0;

  // How many fds are registered.
  virtual std::size_t watched() const = 0;

  // Registers `fd` for readable such that, when the same file is registered this way in
  // several pollers each waited on by its own thread, one readiness wakes one waiting thread
  // rather than all (epoll's EPOLLEXCLUSIVE: for a listening socket that several event loops
  // share). Returns false, registering nothing, where the mechanism cannot promise that.
  // remove() undoes it; modify() of such an fd is refused by the kernel (EINVAL).
  virtual bool add_exclusive(int fd, Token token) {
    (void)fd;
    (void)token;
    return false;
  }
};

// What one wait costs, as a function of how many fds are registered.
enum class WaitCost {
  per_watched,  // O(watched): every wait hands over and looks at every registered fd
  per_ready,    // O(ready): the kernel keeps a ready list; a wait walks only what is ready
};

// Where the interest set lives, and so what an fd must be for the backend to watch it.
enum class InterestSet {
  // In an array of the poller's own, copied into the kernel on every wait: every watched fd
  // must be open in this process's fd table, add() makes no system call, and a closed fd
  // shows up only at the next wait. So it can never watch more files than the fd limit.
  user_array,
  // In the kernel, registered once by add(): the registration holds the file, so it lasts
  // while any process keeps the file open, and add() itself refuses a closed fd.
  kernel,
};

// What a backend is, declared by each backend in its entry (backend.h), so that code outside
// backends/ asks for a property, never for a name.
struct BackendTraits {
  const char* name;
  Poller::Trigger trigger;  // level: reported on every wait until drained; edge: once per readiness
  WaitCost wait_cost;
  InterestSet interest;
  // Whether a peer's close is reported as kHangup; where not, it shows only as readable (select
  // has no hangup set: the read that returns 0 tells).
  bool reports_hangup;
  // The largest fd add() accepts; kAnyFd: any fd the process can open (below its fd limit).
  int max_fd;
  // The family of the backend's raw baseline (backend.h), the same mechanism written straight
  // against its system calls (bench/wait's "raw/<raw>/..."): several backends may share one.
  const char* raw;
};
inline constexpr int kAnyFd = -1;

const char* to_string(Poller::Trigger trigger);     // "level", "edge"
const char* to_string(WaitCost cost);               // "O(watched)", "O(ready)"
const char* to_string(InterestSet interest);        // "user_array", "kernel"

struct Backend;  // the backend's entry: its constructor, probe and hooks (backend.h)

struct BackendInfo {
  std::string name;
  bool available;
  std::string reason;  // why not, when unavailable
  std::string setup;   // how it runs here, for a backend with more than one way (else empty)
  BackendTraits traits;
  const Backend* entry;
};

// Every backend this build knows, in a fixed order (the factory table in poller.cc, then any
// BackendRegistration's), each probed on this machine (io_uring really creates a ring and
// arms a multishot poll, on a short-lived thread of its own).
const std::vector<BackendInfo>& backends();
// The names of the available ones, in the same order.
std::vector<std::string> available_backends();
// Throws std::invalid_argument for an unknown name (the message lists the valid ones) and
// std::runtime_error naming the reason for a backend this machine cannot run.
std::unique_ptr<Poller> make_poller(std::string_view name);
// The entry of backends() called `name`, available or not; std::invalid_argument (listing the
// valid names) for an unknown one.
const BackendInfo& backend_info(std::string_view name);
// backends() as a JSON array, one object per backend: name, available, reason, setup and
// every BackendTraits field (max_fd: null for kAnyFd). What `backends_list --json` prints and
// every result's context carries (key "backend_capabilities").
std::string backends_json();

}  // namespace pollbench
