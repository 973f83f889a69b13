// select(2) beyond FD_SETSIZE. The kernel reads an fd_set as an array of longs of any length
// (nfds bits), so, like libevent, we size our own words and set bits with our own shift and
// mask: glibc's fortified FD_SET aborts on fds >= 1024.
//
// One wait: copy the interest words (select overwrites its sets), select(maxfd + 1), then scan
// every word up to maxfd. That copy and scan is what every real select loop pays.
#include <sys/select.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <fcntl.h>

#include <optional>

#include "backends.h"
#include "registry.h"

namespace pollbench {
namespace {

using Word = unsigned long;  // the kernel's fd_set word (__fd_mask)
constexpr std::size_t kBits = sizeof(Word) * CHAR_BIT;

class SelectPoller final : public Poller {
 public:
  std::string_view name() const override { return "select"; }
  Trigger trigger() const override { return Trigger::level; }

  void add(int fd, Interest interest, Token token) override {
    registry_.add(fd, interest, token, "select", Registry::OpenCheck::mechanism);  // a closed fd: EBADF at the wait
    grow(fd);
    set_interest(fd, std::nullopt, interest);
    max_fd_ = std::max(max_fd_, fd);
  }

  void modify(int fd, Interest interest, Token token) override {
    const Interest old = registry_.contains(fd) ? registry_[fd].interest : interest;
    registry_.modify(fd, interest, token, "select");
    set_interest(fd, old, interest);
  }

  void remove(int fd) override {
    const Interest old = registry_.contains(fd) ? registry_[fd].interest : Interest::readable;
    registry_.remove(fd, "select");
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

    for (std::size_t w = 0; w < words && !events.full(); ++w) {
      const Word written = writers ? write_ready_[w] : 0;
      Word bits = read_ready_[w] | written;
      while (bits != 0 && !events.full()) {
        const int bit = __builtin_ctzl(bits);
        bits &= bits - 1;
        const int fd = static_cast<int>(w * kBits) + bit;
        const Word mask = Word{1} << bit;
        std::uint8_t ready = 0;
        if (read_ready_[w] & mask) ready |= kReadable;
        if (written & mask) ready |= kWritable;
        events.push(registry_[fd].token, fd, ready);
      }
    }
    return events.size();
  }

  std::size_t watched() const override { return registry_.size(); }

 private:
  static fd_set* as_fd_set(std::vector<Word>& words) { return reinterpret_cast<fd_set*>(words.data()); }
  static void set_bit(std::vector<Word>& w, int fd) { w[fd / kBits] |= Word{1} << (fd % kBits); }
  static void clear_bit(std::vector<Word>& w, int fd) { w[fd / kBits] &= ~(Word{1} << (fd % kBits)); }

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
};

}  // namespace

std::unique_ptr<Poller> make_select_poller() { return std::make_unique<SelectPoller>(); }

}  // namespace pollbench
