// What a run of N watched sockets needs from the machine, checked before it starts: kernel
// memory (measured per watched socketpair on this machine, not assumed), processes for the
// holders, system-wide files, and epoll's per-user watch limit.
#pragma once

#include <cstddef>
#include <string>

namespace pollbench::watched {

// The /proc/meminfo lines that grow with watched sockets, in KiB.
struct MemInfo {
  long long mem_available_kib = 0;
  long long slab_kib = 0;          // socket inodes, dentries, files, epoll items, io_uring requests
  long long vmalloc_kib = 0;       // the holders' large fd tables
  long long page_tables_kib = 0;   // one set per holder
  long long kernel_stack_kib = 0;  // one per holder
  long long kernel_kib() const { return slab_kib + vmalloc_kib + page_tables_kib + kernel_stack_kib; }
};
MemInfo read_meminfo();

// Waits (at most about two seconds) until the kernel has freed what a torn-down set held:
// sockets and their inodes are freed after an RCU grace period, not at close, and a
// measurement taken before that would subtract them from the next set's memory.
void settle_kernel_memory();

// MemAvailable, or POLLBENCH_WATCHED_MEM_AVAILABLE_MIB when set (how the tests make a small
// machine).
long long mem_available_kib();

// Throws std::runtime_error with the message a user should see when `watched` sockets (two
// files each) and `holders` holder processes would not fit: processes (pid_max, threads-max,
// RLIMIT_NPROC, the pids cgroup), files (fs.file-max), epoll watches (fs.epoll.max_user_watches).
void check_limits(std::size_t watched, std::size_t holders, bool uses_epoll);

// Throws std::runtime_error naming the figures when `watched` sockets at `bytes_per_watched`
// need more than three quarters of MemAvailable (the last quarter is left to everything else).
void check_memory(std::size_t watched, double bytes_per_watched, const std::string& measured_on);

}  // namespace pollbench::watched
