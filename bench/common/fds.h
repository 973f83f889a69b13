// The fds the benchmarks and tests watch, by kind, and the fd budget they check before opening
// them. Fd ownership, the pipe and the fd limit itself are in backends/fd.h.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fd.h"

namespace pollbench {

// The kinds of pair benchmarks and tests use, by name: "pipe", "socketpair", "tcp"
// (a loopback TCP connection on 127.0.0.1).
const std::vector<std::string>& fd_kinds();
// All fds non-blocking and close-on-exec. Throws std::system_error (EMFILE names the limit).
FdPair make_pair(std::string_view kind);
FdPair make_socketpair();
FdPair make_tcp_pair();

// Reads everything readable from `fd` (non-blocking) and returns how many bytes that was.
std::size_t drain(int fd);

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
