#include "holders.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "error.h"

namespace pollbench::watched {

namespace {

// The holder: receive batches of fds and keep them until the control socket closes. Only
// async-signal-safe calls after fork(): no allocation, no exceptions.
[[noreturn]] void hold(int control, pid_t parent) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(1);
  if (::dup2(control, 3) < 0) ::_exit(1);
  ::close_range(4, ~0U, 0);  // nothing of the parent's: only what it sends
  alignas(cmsghdr) char space[CMSG_SPACE(sizeof(int) * HolderPool::kFdsPerMessage)];
  for (;;) {
    char byte = 0;
    iovec iov{&byte, 1};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = space;
    msg.msg_controllen = sizeof space;
    const ssize_t n = ::recvmsg(3, &msg, MSG_CMSG_CLOEXEC);
    if (n == 0) ::_exit(0);  // the parent is done: exiting closes every file held
    if (n < 0) {
      if (errno == EINTR) continue;
      ::_exit(1);
    }
    std::uint32_t received = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        received += static_cast<std::uint32_t>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      }
    }
    if (msg.msg_flags & MSG_CTRUNC) received = 0;  // the kernel dropped some: the parent fails
    if (::send(3, &received, sizeof received, MSG_NOSIGNAL) != sizeof received) ::_exit(1);
  }
}

}  // namespace

std::size_t files_per_holder() {
  const FdLimit limit = raise_fd_limit();
  constexpr std::size_t kHolderOwnFds = 8;  // stdin/out/err, the control socket, slack
  return limit.soft > kHolderOwnFds ? limit.soft - kHolderOwnFds : 0;
}

HolderPool::HolderPool(std::size_t files_per_holder) : files_per_holder_(files_per_holder) {
  if (files_per_holder_ < 2) throw std::runtime_error("the fd limit leaves a holder process no room for files");
}

HolderPool::~HolderPool() {
  queued_.clear();
  for (Holder& h : holders_) h.control.reset();  // every holder sees EOF and exits, all at once
  for (Holder& h : holders_) {
    int status = 0;
    while (::waitpid(h.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

HolderPool::Holder& HolderPool::spawn() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair for a holder");
  OwnedFd mine(sv[0]), theirs(sv[1]);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork holder process " + std::to_string(holders_.size() + 1));
  if (pid == 0) hold(theirs.get(), parent);
  holders_.push_back(Holder{pid, std::move(mine), 0});
  return holders_.back();
}

void HolderPool::keep(FdPair pair) {
  queued_.push_back(std::move(pair.a));
  queued_.push_back(std::move(pair.b));
  if (queued_.size() >= kFdsPerMessage) flush();
}

void HolderPool::flush() {
  std::size_t from = 0;
  while (from < queued_.size()) {
    if (holders_.empty() || holders_.back().files == files_per_holder_) spawn();
    Holder& h = holders_.back();
    const std::size_t count = std::min({queued_.size() - from, files_per_holder_ - h.files, kFdsPerMessage});
    send(h, queued_, from, count);
    from += count;
  }
  queued_.clear();  // closes this process's copies: the holders have theirs
}

void HolderPool::send(Holder& holder, const std::vector<OwnedFd>& fds, std::size_t from, std::size_t count) {
  alignas(cmsghdr) char space[CMSG_SPACE(sizeof(int) * kFdsPerMessage)];
  std::memset(space, 0, sizeof space);
  char byte = 0;
  iovec iov{&byte, 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = space;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * count);
  int* out = reinterpret_cast<int*>(CMSG_DATA(c));
  for (std::size_t i = 0; i < count; ++i) out[i] = fds[from + i].get();
  const std::string who = "holder process " + std::to_string(holder.pid);
  while (::sendmsg(holder.control.get(), &msg, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) throw_errno("sendmsg SCM_RIGHTS to " + who);
  }
  std::uint32_t received = 0;
  ssize_t n;
  while ((n = ::recv(holder.control.get(), &received, sizeof received, 0)) < 0 && errno == EINTR) {
  }
  if (n != sizeof received) throw std::runtime_error(who + " exited or did not acknowledge a batch of fds");
  if (received != count) {
    throw std::runtime_error(who + " received " + std::to_string(received) + " of " + std::to_string(count) +
                             " fds (its fd limit?)");
  }
  holder.files += count;
  files_held_ += count;
}

}  // namespace pollbench::watched
