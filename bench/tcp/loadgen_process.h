// loadgen as a child process of tcp_bench: started pinned to a CPU, its stdout and stderr kept
// in memory files so an error can quote them, stopped with SIGTERM.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "fd.h"

namespace pollbench {

class LoadgenProcess {
 public:
  // Runs `path` with `args`, pinned to `cpu` (-1: not pinned). It dies with the parent
  // (PR_SET_PDEATHSIG). Throws std::system_error when it cannot start.
  LoadgenProcess(const std::string& path, const std::vector<std::string>& args, int cpu);
  ~LoadgenProcess();
  LoadgenProcess(const LoadgenProcess&) = delete;
  LoadgenProcess& operator=(const LoadgenProcess&) = delete;

  // False once it has exited (reaps it).
  bool running();
  // Sends SIGTERM (loadgen stops and prints its JSON). Does not wait.
  void request_stop();
  // Waits up to `grace` for it to exit, then kills it. Returns how it ended ("exit 0", "signal 9").
  std::string wait(std::chrono::milliseconds grace);

  std::string output() const;  // everything it wrote to stdout
  // Its last stderr lines, joined with " | ", for an error message.
  std::string stderr_tail(std::size_t lines = 3) const;
  // "exit 0", "signal 9", or "running".
  std::string how_it_ended() const;

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
  OwnedFd stdout_;
  OwnedFd stderr_;
};

}  // namespace pollbench
