#include "fd_reserve.h"

#include <fcntl.h>
#include <sys/socket.h>

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

int FdReserve::accept_into_spare(int listener, int flags, int& err) {
  if (!spare_ && !reopen()) {
    err = EMFILE;
    return -1;
  }
  missing_.store(true, std::memory_order_relaxed);  // so no loop sees a spare while it is given up
  spare_.reset();
  const int fd = ::accept4(listener, nullptr, nullptr, flags);
  err = fd < 0 ? errno : 0;
  return fd;
}

void FdReserve::refill_if_missing() {
  if (!missing_.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> hold(mutex_);
  if (!spare_) reopen();
}

void FdReserve::give_up_spare() {
  std::lock_guard<std::mutex> hold(mutex_);
  missing_.store(true, std::memory_order_relaxed);
  spare_.reset();
}

}  // namespace pollbench
