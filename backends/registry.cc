#include "registry.h"

#include <fcntl.h>
#include <sys/resource.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <system_error>

namespace pollbench {

namespace {
std::string describe(const char* backend, const char* op, int fd) {
  return std::string(backend) + " " + op + " fd=" + std::to_string(fd);
}
}  // namespace

namespace {
std::size_t soft_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
  return static_cast<std::size_t>(limit.rlim_cur);
}
}  // namespace

Registry::Registry() : fd_limit_(soft_fd_limit()) {}

Registry::Slot& Registry::add(int fd, Interest interest, Token token, const char* backend) {
  if (fd < 0) throw_errno(EBADF, describe(backend, "add", fd));
  // An fd at or above the limit seen at construction (the limit changed since) costs the system call.
  if (static_cast<std::size_t>(fd) >= fd_limit_ && ::fcntl(fd, F_GETFD) < 0) throw_errno(EBADF, describe(backend, "add", fd));
  if (contains(fd)) throw_errno(EEXIST, describe(backend, "add (already registered)", fd));
  if (static_cast<std::size_t>(fd) >= slots_.size()) slots_.resize(static_cast<std::size_t>(fd) + 1);
  Slot& slot = slots_[static_cast<std::size_t>(fd)];
  slot.registered = true;
  slot.interest = interest;
  slot.token = token;
  ++slot.generation;
  ++count_;
  return slot;
}

Registry::Slot& Registry::modify(int fd, Interest interest, Token token, const char* backend) {
  if (!contains(fd)) throw_errno(ENOENT, describe(backend, "modify (not registered)", fd));
  Slot& slot = slots_[static_cast<std::size_t>(fd)];
  slot.interest = interest;
  slot.token = token;
  ++slot.generation;
  return slot;
}

const Registry::Slot& Registry::remove(int fd, const char* backend) {
  if (!contains(fd)) throw_errno(ENOENT, describe(backend, "remove (not registered)", fd));
  Slot& slot = slots_[static_cast<std::size_t>(fd)];
  slot.registered = false;
  ++slot.generation;
  --count_;
  return slot;
}

int timeout_ms(std::chrono::nanoseconds timeout) {
  if (timeout < std::chrono::nanoseconds::zero()) return -1;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

}  // namespace pollbench
