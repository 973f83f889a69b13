// Owning file descriptors, a pipe pair, and the fd limit: what the Poller backends need.
// The benchmarks' and tests' helpers (other pairs, fd counting, require_fds) are in
// bench/common/fds.h.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

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

// All fds non-blocking and close-on-exec. Throws std::system_error (EMFILE names the limit).
// The io_uring backend's probe watches a pipe, so the pipe and the byte that wakes it live here;
// the other kinds of pair the benchmarks and tests use are in bench/common/fds.h.
FdPair make_pipe();
// Writes one byte to `fd`; throws std::system_error unless it went in.
void write_byte(int fd);

// --- fd limit -------------------------------------------------------------------------

struct FdLimit {
  std::size_t soft;
  std::size_t hard;
};

// Raises the soft RLIMIT_NOFILE to the hard limit and returns both. Every tool calls it at
// start; the error messages call it too, so they name the limit a caller can actually reach.
FdLimit raise_fd_limit();
// Throws std::system_error for errno after `what` failed to open an fd; EMFILE and ENFILE name
// the limit that was hit (for EMFILE, the one raise_fd_limit() leaves).
[[noreturn]] void throw_open_error(const std::string& what);

}  // namespace pollbench
