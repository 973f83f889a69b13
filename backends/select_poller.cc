// select(2) beyond FD_SETSIZE. The kernel reads an fd_set as an array of longs of any length
// (nfds bits), so, like libevent, we size our own words and set bits with our own shift and
// mask: glibc's fortified FD_SET aborts on fds >= 1024.
//
// One wait: copy the interest words (select overwrites its sets), select(maxfd + 1), then scan
// every word up to maxfd. That copy and scan is what every real select loop pays.
//
// Fairness: when Events fills before the scan ends, the next scan starts just after the last fd
// reported and wraps around, so a small buffer never starves the high fds (libevent starts at a
// random index for the same reason). Every ready fd is reported within ceil(ready / capacity)
// waits; the scan still visits every word, plus the start word a second time.
#include <sys/select.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <fcntl.h>

#include <optional>

#include "backend.h"
#include "registry.h"

namespace pollbench {
namespace {

using Word = unsigned long;  // the kernel's fd_set word (__fd_mask)
constexpr std::size_t kBits = sizeof(Word) * CHAR_BIT;

fd_set* as_fd_set(std::vector<Word>& words) { return reinterpret_cast<fd_set*>(words.data()); }
void set_bit(std::vector<Word>& w, int fd) { w[fd / kBits] |= Word{1} << (fd % kBits); }
void clear_bit(std::vector<Word>& w, int fd) { w[fd / kBits] &= ~(Word{1} << (fd % kBits)); }

class SelectPoller final : public BackendPoller {
 public:
  using BackendPoller::BackendPoller;

  void add(int fd, Interest interest, Token token) override {
    registry_.add(fd, interest, token, traits_.name);  // a closed fd: EBADF at the wait
    grow(fd);
    set_interest(fd, std::nullopt, interest);
    max_fd_ = std::max(max_fd_, fd);
  }

  void modify(int fd, Interest interest, Token token) override {
    const Interest old = registry_.contains(fd) ? registry_[fd].interest : interest;
    registry_.modify(fd, interest, token, traits_.name);
    set_interest(fd, old, interest);
  }

  void remove(int fd) override {
    const Interest old = registry_.contains(fd) ? registry_[fd].interest : Interest::readable;
    registry_.remove(fd, traits_.name);
    clear_bit(read_interest_, fd);
    clear_bit(write_interest_, fd);
    if (wants_write(old)) --writers_;
    while (max_fd_ >= 0 && !registry_.contains(max_fd_)) --max_fd_;
  }

  std::size_t wait(Events& events, std::chrono::nanoseconds timeout) override {
    events.clear();
    const int nfds = max_fd_ + 1;
    const std::size_t words = (static_cast<std::size_t>(nfds) + kBits - 1) / kBits;
    // No write set at all when nobody wants writability, as a read-only select loop passes:
    // the kernel then neither copies nor checks one.
    const bool writers = writers_ > 0;
    std::copy_n(read_interest_.begin(), words, read_ready_.begin());
    if (writers) std::copy_n(write_interest_.begin(), words, write_ready_.begin());

    timeval tv{};
    timeval* tvp = nullptr;
    if (timeout >= std::chrono::nanoseconds::zero()) {
      auto us = std::chrono::ceil<std::chrono::microseconds>(timeout).count();
      tv.tv_sec = us / 1000000;
      tv.tv_usec = us % 1000000;
      tvp = &tv;
    }
    int n = ::select(nfds, as_fd_set(read_ready_), writers ? as_fd_set(write_ready_) : nullptr, nullptr, tvp);
    if (n < 0) {
      if (errno == EINTR) return 0;
      if (errno == EBADF) return report_closed(events);
      throw_errno("select nfds=" + std::to_string(nfds));
    }
    if (n == 0) return 0;

    const int start = start_fd_ < nfds ? start_fd_ : 0;
    const std::size_t start_word = static_cast<std::size_t>(start) / kBits;
    const Word before_start = (Word{1} << (start % kBits)) - 1;  // bits of start_word below start
    // From start to the top, then from fd 0 back up to start.
    scan_word(events, start_word, ~before_start, writers);
    for (std::size_t w = start_word + 1; w < words && !events.full(); ++w) scan_word(events, w, ~Word{0}, writers);
    for (std::size_t w = 0; w < start_word && !events.full(); ++w) scan_word(events, w, ~Word{0}, writers);
    if (!events.full()) scan_word(events, start_word, before_start, writers);
    if (events.full()) start_fd_ = events[events.size() - 1].fd + 1;
    return events.size();
  }

  std::size_t watched() const override { return registry_.size(); }

 private:
  // Reports the ready fds of word `w` that `mask` keeps, in order, until Events is full.
  void scan_word(Events& events, std::size_t w, Word mask, bool writers) {
    const Word written = writers ? write_ready_[w] : 0;
    Word bits = (read_ready_[w] | written) & mask;
    while (bits != 0 && !events.full()) {
      const int bit = __builtin_ctzl(bits);
      bits &= bits - 1;
      const int fd = static_cast<int>(w * kBits) + bit;
      const Word one = Word{1} << bit;
      std::uint8_t ready = 0;
      if (read_ready_[w] & one) ready |= kReadable;
      if (written & one) ready |= kWritable;
      events.push(registry_[fd].token, fd, ready);
    }
  }

  void grow(int fd) {
    const std::size_t need = static_cast<std::size_t>(fd) / kBits + 1;
    if (read_interest_.size() >= need) return;
    for (auto* v : {&read_interest_, &write_interest_, &read_ready_, &write_ready_}) v->resize(need, 0);
  }

  void set_interest(int fd, std::optional<Interest> old, Interest interest) {
    if (old && wants_write(*old)) --writers_;
    if (wants_write(interest)) ++writers_;
    clear_bit(read_interest_, fd);
    clear_bit(write_interest_, fd);
    if (wants_read(interest)) set_bit(read_interest_, fd);
    if (wants_write(interest)) set_bit(write_interest_, fd);
  }

  // select gives EBADF, not the culprit: find the registered fds that were closed and report
  // them as errors. Only on this failure path, so a normal wait pays nothing for it.
  std::size_t report_closed(Events& events) {
    for (int fd = 0; fd <= max_fd_ && !events.full(); ++fd) {
      if (registry_.contains(fd) && ::fcntl(fd, F_GETFD) < 0) events.push(registry_[fd].token, fd, kError);
    }
    return events.size();
  }

  Registry registry_;
  std::vector<Word> read_interest_, write_interest_, read_ready_, write_ready_;
  int max_fd_ = -1;
  std::size_t writers_ = 0;  // registered fds with write interest
  int start_fd_ = 0;         // where the next scan starts: after the last fd a full buffer took
};

// The raw baseline: copy the interest bit words, select(maxfd + 1, readfds only), scan the words.
void raw_select(std::span<const int> watched, int timeout_ms, RawHarness& harness) {
  int max_fd = -1;
  for (int fd : watched) max_fd = std::max(max_fd, fd);
  const int nfds = max_fd + 1;
  const std::size_t words = (static_cast<std::size_t>(nfds) + kBits - 1) / kBits;
  std::vector<Word> interest(words, 0), ready(words, 0);
  for (int fd : watched) set_bit(interest, fd);
  run_raw_rounds(harness, [&] {
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};  // select may change it: set it every time
    int n;
    do {
      std::copy_n(interest.begin(), words, ready.begin());
      n = ::select(nfds, as_fd_set(ready), nullptr, nullptr, &tv);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("select");
    RawResult r{0, 0};
    for (std::size_t w = 0; w < words; ++w) {
      for (Word bits = ready[w]; bits != 0; bits &= bits - 1) {
        r.fd_sum += static_cast<long>(w * kBits) + __builtin_ctzl(bits);
        ++r.events;
      }
    }
    return r;
  });
}

}  // namespace

// Any fd: the interest words grow past FD_SETSIZE to the highest fd registered. Hangup: select
// has no set for it; a peer's close shows as readable. No watcher: the interest set is an
// array of fd numbers in this process's own table.
extern const Backend kSelectBackend;
const Backend kSelectBackend{
    {"select", Poller::Trigger::level, WaitCost::per_watched, InterestSet::user_array, false, kAnyFd, "select"},
    []() -> std::unique_ptr<Poller> { return std::make_unique<SelectPoller>(kSelectBackend.traits); },
    nullptr,
    raw_select,
    nullptr,
};

}  // namespace pollbench
