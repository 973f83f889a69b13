#include "loadgen_process.h"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

namespace pollbench {
namespace {

OwnedFd memory_file(const char* name) {
  OwnedFd fd(::memfd_create(name, MFD_CLOEXEC));
  if (!fd) throw std::system_error(errno, std::generic_category(), std::string("memfd_create ") + name);
  return fd;
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (off_t offset = 0;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, offset);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    offset += n;
  }
  return out;
}

}  // namespace

LoadgenProcess::LoadgenProcess(const std::string& path, const std::vector<std::string>& args, int cpu)
    : stdout_(memory_file("loadgen-stdout")), stderr_(memory_file("loadgen-stderr")) {
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<std::string> storage;
  storage.push_back(path);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (cpu >= 0) CPU_SET(cpu, &cpus);
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork for " + path);
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // the parent is already gone
    ::dup2(stdout_.get(), STDOUT_FILENO);
    ::dup2(stderr_.get(), STDERR_FILENO);
    if (cpu >= 0) ::sched_setaffinity(0, sizeof cpus, &cpus);
    ::execv(path.c_str(), argv.data());
    const char message[] = "tcp_bench: cannot execute loadgen\n";
    if (::write(STDERR_FILENO, message, sizeof message - 1) < 0) ::_exit(127);
    ::_exit(127);
  }
}

LoadgenProcess::~LoadgenProcess() {
  if (running()) {
    request_stop();
    wait(std::chrono::seconds(5));
  }
}

bool LoadgenProcess::running() {
  if (exited_ || pid_ <= 0) return false;
  const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) exited_ = true;
  return !exited_;
}

void LoadgenProcess::request_stop() {
  if (running()) ::kill(pid_, SIGTERM);
}

std::string LoadgenProcess::wait(std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (running()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    exited_ = true;
  }
  return how_it_ended();
}

std::string LoadgenProcess::output() const { return read_all(stdout_.get()); }

std::string LoadgenProcess::stderr_tail(std::size_t lines) const {
  const std::string text = read_all(stderr_.get());
  std::size_t end = text.size();
  while (end > 0 && text[end - 1] == '\n') --end;
  std::size_t begin = end;
  for (std::size_t found = 0; begin > 0; --begin) {
    if (text[begin - 1] == '\n' && ++found == lines) break;
  }
  std::string tail = text.substr(begin, end - begin);
  std::string joined;
  for (char c : tail) joined += c == '\n' ? std::string(" | ") : std::string(1, c);
  return joined.empty() ? "(no output)" : joined;
}

std::string LoadgenProcess::how_it_ended() const {
  if (!exited_) return "running";
  if (WIFEXITED(status_)) return "exit " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) return "signal " + std::to_string(WTERMSIG(status_));
  return "ended";
}

}  // namespace pollbench
