// Holder processes: they keep open the files this process watches but cannot keep in its own
// fd table (RLIMIT_NOFILE), so that epoll's and io_uring's registrations stay alive.
//
// Each holder is a forked child that owns one SOCK_SEQPACKET control socket and nothing else.
// keep() queues both ends of a pair; they travel in batches as SCM_RIGHTS messages, and each
// message is acknowledged with the number of fds the holder received before the next is sent,
// which also bounds the fds in flight (the kernel counts in-flight fds against RLIMIT_NOFILE).
// This process closes its copies once a batch is acknowledged. A holder takes files until its
// own fd limit (inherited) is nearly full, then the next one is forked. Holders exit, and the
// kernel closes what they held, when their control socket closes (the destructor) or when this
// process dies (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <vector>

#include "fd.h"

namespace pollbench::watched {

class HolderPool {
 public:
  // Each holder keeps at most `files_per_holder` files.
  explicit HolderPool(std::size_t files_per_holder);
  ~HolderPool();
  HolderPool(const HolderPool&) = delete;
  HolderPool& operator=(const HolderPool&) = delete;

  // Takes both ends; they are closed here once a holder has them.
  void keep(FdPair pair);
  // Sends whatever keep() has queued.
  void flush();

  std::size_t holders() const { return holders_.size(); }
  std::size_t files_held() const { return files_held_; }

  // The most fds one SCM_RIGHTS message carries (the kernel's SCM_MAX_FD is 253).
  static constexpr std::size_t kFdsPerMessage = 250;

 private:
  struct Holder {
    pid_t pid;
    OwnedFd control;
    std::size_t files;
  };
  Holder& spawn();
  void send(Holder& holder, const std::vector<OwnedFd>& fds, std::size_t from, std::size_t count);

  std::size_t files_per_holder_;
  std::vector<Holder> holders_;
  std::vector<OwnedFd> queued_;
  std::size_t files_held_ = 0;
};

// How many files one holder can keep: the fd limit children inherit, less a few of their own.
std::size_t files_per_holder();

}  // namespace pollbench::watched
