#include "fd_reserve.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "error.h"

namespace pollbench {

FdReserve::FdReserve() {
  if (!reopen()) throw_errno("open /dev/null (the spare fd for the fd limit)");
}

bool FdReserve::reopen() {
  spare_ = OwnedFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  missing_.store(!spare_, std::memory_order_relaxed);
  return static_cast<bool>(spare_);
}

FdReserve::Shed FdReserve::shed_one(int listener) {
  if (!spare_ && !reopen()) return Shed::no_spare;
  missing_.store(true, std::memory_order_relaxed);  // so no loop sees a spare while it is given up
  spare_.reset();
  const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  const int err = errno;
  if (fd >= 0) ::close(fd);
  reopen();
  if (fd >= 0) return Shed::shed;
  if (err == ECONNABORTED || err == EINTR) return Shed::retry;
  return (err == EAGAIN || err == EWOULDBLOCK) ? Shed::nothing_pending : Shed::no_spare;
}

void FdReserve::refill_if_missing() {
  if (!missing_.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> hold(mutex_);
  if (!spare_) reopen();
}

}  // namespace pollbench
