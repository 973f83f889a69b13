// Owning file descriptors, the pairs that benchmarks and tests watch, and the fd limit.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pollbench {

// Move-only owner of one fd, closed on destruction.
class OwnedFd {
 public:
  OwnedFd() = default;
  explicit OwnedFd(int fd) : fd_(fd) {}
  OwnedFd(OwnedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  OwnedFd& operator=(OwnedFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Two connected ends. For a pipe, `a` is the read end and `b` the write end; for sockets
// both ends read and write. Writing one byte to `b` makes `a` readable.
struct FdPair {
  OwnedFd a;
  OwnedFd b;
};

// The kinds of pair benchmarks and tests use, by name: "pipe", "socketpair", "tcp"
// (a loopback TCP connection on 127.0.0.1).
const std::vector<std::string>& fd_kinds();
// All fds non-blocking and close-on-exec. Throws std::system_error (EMFILE names the limit).
FdPair make_pair(std::string_view kind);
FdPair make_pipe();
FdPair make_socketpair();
FdPair make_tcp_pair();

// Writes one byte to `fd` / reads everything readable from `fd` (non-blocking).
void write_byte(int fd);
std::size_t drain(int fd);

// --- fd limit -------------------------------------------------------------------------

struct FdLimit {
  std::size_t soft;
  std::size_t hard;
};

// Raises the soft RLIMIT_NOFILE to the hard limit and returns both. Every tool calls it at
// start; the error messages call it too, so they name the limit a caller can actually reach.
FdLimit raise_fd_limit();
// Descriptors in use by this process now (counted from /proc/self/fd).
std::size_t open_fd_count();
// Thrown when a request needs more fds than the limit allows.
class FdLimitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Throws FdLimitError naming the limit and how to raise it unless `extra` more fds fit
// under the soft limit next to those already open. `what` says what needs them.
void require_fds(std::size_t extra, std::string_view what);
// How many more fds can be opened now (soft limit minus open ones, minus `reserve`).
std::size_t fds_available(std::size_t reserve = 0);

}  // namespace pollbench
