#include "run_context.h"

#include <sched.h>
#include <sys/utsname.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "build_info.h"  // generated: POLLBENCH_GIT_COMMIT, POLLBENCH_BUILD_TYPE, POLLBENCH_CXX_FLAGS
#include "fd.h"
#include "poller.h"

namespace pollbench {

namespace {

std::string read_line(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown";
}

// "spectre_v2: Mitigation: ...; meltdown: Not affected; ..." from the kernel's own report.
std::string mitigations() {
  const std::filesystem::path dir = "/sys/devices/system/cpu/vulnerabilities";
  std::error_code ec;
  std::vector<std::string> parts;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    parts.push_back(entry.path().filename().string() + ": " + read_line(entry.path()));
  }
  if (parts.empty()) return "unknown (" + dir.string() + " not readable)";
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += "; ";
    out += p;
  }
  return out;
}

// The compiler this binary was built with, from its own macros: "clang 14.0.6 (Debian Clang
// 14.0.6)" or "g++ 12.2.0". clang defines __GNUC__ too (as 4.2.1), so it is asked first;
// __VERSION__ is each compiler's own description of itself.
std::string compiler() {
#if defined(__clang__)
  return "clang " + std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__) + "." +
         std::to_string(__clang_patchlevel__) + " (" + __VERSION__ + ")";
#elif defined(__GNUC__)
  return std::string("g++ ") + __VERSION__;
#else
  return std::string("unknown (") + __VERSION__ + ")";
#endif
}

std::string join(const std::vector<int>& cpus) {
  std::string out;
  for (int c : cpus) {
    if (!out.empty()) out += ',';
    out += std::to_string(c);
  }
  return out;
}

}  // namespace

const std::vector<int>& allowed_cpus() {
  static const std::vector<int> cpus = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> out;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
      for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &set)) out.push_back(c);
      }
    }
    if (out.empty()) out.push_back(0);
    return out;
  }();
  return cpus;
}

int default_cpu() { return allowed_cpus().back(); }

void pin_to_cpu(int cpu) {
  const auto& cpus = allowed_cpus();
  if (std::find(cpus.begin(), cpus.end(), cpu) == cpus.end()) {
    throw std::invalid_argument("cpu " + std::to_string(cpu) + " is not available (allowed: " + join(cpus) + ")");
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    throw std::runtime_error("sched_setaffinity to cpu " + std::to_string(cpu) + " failed");
  }
}

int other_cpu(int cpu) {
  for (int c : allowed_cpus()) {
    if (c != cpu) return c;
  }
  return cpu;
}

std::map<std::string, std::string> run_context(int pinned_cpu) {
  utsname uts{};
  uname(&uts);
  const FdLimit limit = raise_fd_limit();
#ifdef __OPTIMIZE__
  const bool optimized = true;
#else
  const bool optimized = false;
#endif
  // How each backend with more than one way to run runs here ("io_uring: defer_taskrun").
  std::string setups;
  for (const BackendInfo& b : backends()) {
    if (b.setup.empty()) continue;
    if (!setups.empty()) setups += "; ";
    setups += b.name + ": " + b.setup;
  }
  return {
      {"backend_setup", setups},
      // Every backend's capabilities (backends_list --json), which the scripts go by, not names.
      {"backend_capabilities", backends_json()},
      {"kernel", std::string(uts.release) + " " + uts.version},
      {"machine", uts.machine},
      {"cpu_model", cpu_model()},
      {"mitigations", mitigations()},
      {"fd_limit", std::to_string(limit.soft)},
      {"fd_limit_hard", std::to_string(limit.hard)},
      {"compiler", compiler()},
      {"flags", POLLBENCH_CXX_FLAGS},
      {"build_type", POLLBENCH_BUILD_TYPE},
      {"optimized", optimized ? "yes" : "no"},
      {"git_commit", POLLBENCH_GIT_COMMIT},
      {"pinned_cpu", std::to_string(pinned_cpu)},
      {"allowed_cpus", join(allowed_cpus())},
  };
}

void warn_if_unoptimized() {
#ifndef __OPTIMIZE__
  std::cerr << "WARNING: this binary was built without optimisation; its figures are not representative. "
               "Use the release preset (cmake --preset release).\n";
#endif
}

}  // namespace pollbench
