#include "fds.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <system_error>

#include "error.h"

namespace pollbench {

namespace {

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_errno("fcntl O_NONBLOCK");
}

}  // namespace

const std::vector<std::string>& fd_kinds() {
  static const std::vector<std::string> kinds{"pipe", "socketpair", "tcp"};
  return kinds;
}

FdPair make_pair(std::string_view kind) {
  if (kind == "pipe") return make_pipe();
  if (kind == "socketpair") return make_socketpair();
  if (kind == "tcp") return make_tcp_pair();
  throw std::invalid_argument("unknown fd kind '" + std::string(kind) + "' (valid: pipe, socketpair, tcp)");
}

FdPair make_socketpair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0) throw_open_error("socketpair");
  return FdPair{OwnedFd(fds[0]), OwnedFd(fds[1])};
}

FdPair make_tcp_pair() {
  // One listener on 127.0.0.1 serves every pair, so a pair costs one ephemeral port, not two.
  static std::mutex mutex;
  static OwnedFd listener;
  static sockaddr_in address{};
  std::lock_guard<std::mutex> lock(mutex);
  if (!listener) {
    OwnedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_open_error("socket (tcp listener)");
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof address;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) throw_errno("bind 127.0.0.1:0");
    if (::listen(fd.get(), 128) < 0) throw_errno("listen");
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &len) < 0) throw_errno("getsockname");
    listener = std::move(fd);
  }
  OwnedFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!client) throw_open_error("socket (tcp client)");
  if (::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
    throw_errno("connect 127.0.0.1:" + std::to_string(ntohs(address.sin_port)));
  }
  OwnedFd server(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!server) throw_open_error("accept4");
  set_nonblocking(client.get());
  int one = 1;
  for (int fd : {client.get(), server.get()}) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return FdPair{std::move(server), std::move(client)};
}

std::size_t drain(int fd) {
  char buf[4096];
  std::size_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      total += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK) return total;
    if (errno != EINTR) throw_errno("read fd=" + std::to_string(fd));
  }
}

std::size_t open_fd_count() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) throw_errno("opendir /proc/self/fd");
  std::size_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the directory's own fd
}

std::size_t fds_available(std::size_t reserve) {
  const std::size_t limit = raise_fd_limit().soft;
  const std::size_t used = open_fd_count() + reserve;
  return used >= limit ? 0 : limit - used;
}

void require_fds(std::size_t extra, std::string_view what) {
  const FdLimit limit = raise_fd_limit();
  const std::size_t used = open_fd_count();
  if (used + extra <= limit.soft) return;
  throw FdLimitError(std::string(what) + " needs " + std::to_string(extra) + " file descriptors, but only " +
                     std::to_string(limit.soft > used ? limit.soft - used : 0) + " are free: RLIMIT_NOFILE is " +
                     std::to_string(limit.soft) + " (hard " + std::to_string(limit.hard) + ") and " +
                     std::to_string(used) +
                     " are open. Raise the hard limit (ulimit -Hn as root, /etc/security/limits.conf, or "
                     "systemd LimitNOFILE=; the kernel caps it at /proc/sys/fs/nr_open) or ask for fewer.");
}

}  // namespace pollbench
