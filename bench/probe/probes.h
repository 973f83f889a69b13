// The machine probes: small fixed workloads whose cost depends on the machine, not on pollbench's
// code, measured in the same window as a run so that drift of the machine can be named.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace pollbench::probe {

struct Settings {
  int repeats = 15;                   // samples per probe; the median's 95% interval needs 6
  std::size_t chase_loads = 1 << 20;  // dependent loads per pointer-chase sample
  double sample_seconds = 0.02;       // about this long per sample of the other probes
  bool fresh_layouts = false;         // poll_per_fd: a new set of fds for every sample
};

// Memory latency: ns per load of a random cyclic pointer chase over `bytes` (one 64-byte cache
// line per node; Sattolo's algorithm gives one cycle through every node, so no load is
// predictable and the whole buffer is in use).
nlohmann::json pointer_chase(std::size_t bytes, const Settings& settings);

// A fixed CPU loop: ns per step of a dependent 64-bit multiply-add chain (the compiler may
// neither vectorise nor shorten it).
nlohmann::json cpu_loop(const Settings& settings);

// ns per epoll_wait (timeout 1 s) with one registered socketpair end that stays readable.
nlohmann::json epoll_wait_ready(const Settings& settings);

// poll over N watched fds, the ready one last, in both modes (timeout 1000 ms and 0): ns per
// watched fd. layout "dup": N-1 dup()s of one idle socket (one cache-hot file) plus one ready
// socketpair end; "distinct": N ends of N/2 socketpairs, both ends watched (wait_bench's layout).
// With settings.fresh_layouts every sample gets fds opened afresh (the last ones closed first).
nlohmann::json poll_per_fd(std::size_t watched, const std::string& layout, const Settings& settings);

// What sysfs says about the caches of `cpu`: level, type, size, shared_cpu_list per index.
nlohmann::json sysfs_caches(int cpu);

}  // namespace pollbench::probe
