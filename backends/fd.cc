#include "fd.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <system_error>

#include "error.h"

namespace pollbench {

void OwnedFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

// EMFILE and ENFILE say which limit was hit, so the error names it.
void throw_open_error(const std::string& what) {
  const int err = errno;
  std::string msg = what;
  if (err == EMFILE) {
    const FdLimit limit = raise_fd_limit();
    msg += " (the per-process fd limit RLIMIT_NOFILE is " + std::to_string(limit.soft) + ", hard " +
           std::to_string(limit.hard) + ")";
  } else if (err == ENFILE) {
    msg += " (the system-wide limit /proc/sys/fs/file-max is reached)";
  }
  throw_errno(err, msg);
}

FdPair make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) throw_open_error("pipe2");
  return FdPair{OwnedFd(fds[0]), OwnedFd(fds[1])};
}

void write_byte(int fd) {
  const char byte = 'x';
  if (::write(fd, &byte, 1) != 1) throw_errno("write fd=" + std::to_string(fd));
}

FdLimit raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) < 0) throw_errno("getrlimit RLIMIT_NOFILE");
  if (rl.rlim_cur != rl.rlim_max) {
    rlimit wanted = rl;
    wanted.rlim_cur = rl.rlim_max;
    if (rl.rlim_max == RLIM_INFINITY) {  // soft can't be infinite: the kernel's cap is nr_open
      std::ifstream nr_open("/proc/sys/fs/nr_open");
      rlim_t cap = 1048576;
      nr_open >> cap;
      wanted.rlim_cur = cap;
    }
    if (::setrlimit(RLIMIT_NOFILE, &wanted) == 0) rl.rlim_cur = wanted.rlim_cur;
  }
  return FdLimit{static_cast<std::size_t>(rl.rlim_cur), static_cast<std::size_t>(rl.rlim_max)};
}

}  // namespace pollbench
