#include "preflight.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace pollbench::watched {

namespace {

// The first number in `path`, or -1 when it cannot be read ("max" reads as -1 too).
long long read_number(const std::string& path) {
  std::ifstream in(path);
  long long v = -1;
  if (!(in >> v)) return -1;
  return v;
}

std::string mib(long long kib) { return std::to_string((kib + 512) / 1024) + " MiB"; }

// The pids cgroup this process is in, as /sys/fs/cgroup/... (v1 or v2), or "".
std::string pids_cgroup_dir() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (controllers == "pids") return "/sys/fs/cgroup/pids" + path;
    if (controllers.empty() && line.rfind("0::", 0) == 0) {
      std::ifstream probe("/sys/fs/cgroup" + path + "/pids.max");
      if (probe) return "/sys/fs/cgroup" + path;
    }
  }
  return "";
}

}  // namespace

MemInfo read_meminfo() {
  MemInfo m;
  std::ifstream in("/proc/meminfo");
  for (std::string key; in >> key;) {
    long long value = 0;
    in >> value;
    in.ignore(64, '\n');
    if (key == "MemAvailable:") m.mem_available_kib = value;
    if (key == "Slab:") m.slab_kib = value;
    if (key == "VmallocUsed:") m.vmalloc_kib = value;
    if (key == "PageTables:") m.page_tables_kib = value;
    if (key == "KernelStack:") m.kernel_stack_kib = value;
  }
  if (m.mem_available_kib == 0) throw std::runtime_error("cannot read MemAvailable from /proc/meminfo");
  return m;
}

void settle_kernel_memory() {
  constexpr long long kStillKib = 1024;  // less than one watched socket in 200 changing
  long long last = read_meminfo().kernel_kib();
  for (int i = 0; i < 40; ++i) {
    ::usleep(50000);
    const long long now = read_meminfo().kernel_kib();
    if (std::llabs(now - last) < kStillKib) return;
    last = now;
  }
}

long long mem_available_kib() {
  if (const char* fake = std::getenv("POLLBENCH_WATCHED_MEM_AVAILABLE_MIB"); fake != nullptr && *fake != '\0') {
    return std::atoll(fake) * 1024;
  }
  return read_meminfo().mem_available_kib;
}

void check_limits(std::size_t watched, std::size_t holders, bool uses_epoll) {
  const auto need_tasks = static_cast<long long>(holders) + 16;  // the holders, and some slack
  // /proc/loadavg: "... running/total last_pid": every task on the machine now.
  long long tasks = 0;
  {
    std::ifstream in("/proc/loadavg");
    std::string l1, l5, l15, counts;
    in >> l1 >> l5 >> l15 >> counts;
    const auto slash = counts.find('/');
    if (slash != std::string::npos) tasks = std::atoll(counts.c_str() + slash + 1);
  }
  const std::string holders_text = std::to_string(watched) + " watched sockets need " + std::to_string(holders) +
                                   " holder processes";
  for (const char* path : {"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"}) {
    const long long max = read_number(path);
    if (max > 0 && tasks + need_tasks > max) {
      throw std::runtime_error(holders_text + ", but " + std::to_string(tasks) + " tasks run already and " + path +
                               " is " + std::to_string(max));
    }
  }
  rlimit nproc{};
  if (::geteuid() != 0 && ::getrlimit(RLIMIT_NPROC, &nproc) == 0 && nproc.rlim_cur != RLIM_INFINITY &&
      tasks + need_tasks > static_cast<long long>(nproc.rlim_cur)) {
    throw std::runtime_error(holders_text + ", but RLIMIT_NPROC (ulimit -u) is " + std::to_string(nproc.rlim_cur) +
                             " and " + std::to_string(tasks) + " tasks run already");
  }
  if (const std::string dir = pids_cgroup_dir(); !dir.empty()) {
    const long long max = read_number(dir + "/pids.max"), current = read_number(dir + "/pids.current");
    if (max > 0 && current >= 0 && current + need_tasks > max) {
      throw std::runtime_error(holders_text + ", but the pids cgroup allows " + std::to_string(max) + " (" + dir +
                               "/pids.max) and " + std::to_string(current) + " are in use");
    }
  }
  // /proc/sys/fs/file-nr: "allocated free max"; two files per watched socketpair.
  {
    std::ifstream in("/proc/sys/fs/file-nr");
    long long allocated = 0, unused = 0, max = 0;
    if (in >> allocated >> unused >> max) {
      const long long need = 2 * static_cast<long long>(watched) + 1024;
      if (allocated + need > max) {
        throw std::runtime_error(std::to_string(watched) + " watched sockets need " + std::to_string(need) +
                                 " more files, but " + std::to_string(allocated) +
                                 " are open on this machine and /proc/sys/fs/file-max is " + std::to_string(max));
      }
    }
  }
  if (uses_epoll) {
    const long long max = read_number("/proc/sys/fs/epoll/max_user_watches");
    if (max > 0 && static_cast<long long>(watched) + 1024 > max) {
      throw std::runtime_error(std::to_string(watched) + " watched sockets need as many epoll watches, but " +
                               "/proc/sys/fs/epoll/max_user_watches is " + std::to_string(max));
    }
  }
}

void check_memory(std::size_t watched, double bytes_per_watched, const std::string& measured_on) {
  const long long available = mem_available_kib();
  const double need_kib = static_cast<double>(watched) * bytes_per_watched / 1024.0;
  if (need_kib > 0.75 * static_cast<double>(available)) {
    char text[512];
    std::snprintf(text, sizeof text,
                  "%zu watched sockets need about %.0f MiB of kernel memory at %.2f KiB each (measured on %s); "
                  "MemAvailable is %s, and a quarter of it is left to everything else: lower --max-watched",
                  watched, need_kib / 1024.0, bytes_per_watched / 1024.0, measured_on.c_str(), mib(available).c_str());
    throw std::runtime_error(text);
  }
}

}  // namespace pollbench::watched
