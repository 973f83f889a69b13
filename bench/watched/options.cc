#include "options.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "poller.h"
#include "run_context.h"
#include "watcher.h"

namespace pollbench::watched {

namespace {

// Largest --max-watched accepted; the memory, process and file checks decide what really fits.
constexpr std::size_t kMaxWatchedLimit = 100000000;

void usage(std::ostream& out) {
  out << R"(usage: watched_bench [--max-watched=N] [--backends=a,b] [--cpu=N] [--help] [--benchmark_* flags]

epoll and io_uring watch files, not fd numbers, so one process can watch far more sockets
than its fd limit: holder processes keep the files open (SCM_RIGHTS), and this process keeps
only the pairs it writes to. Families (Google Benchmark names):
  wait_watched/<backend>/socketpair/watched:N/active:1   one wait reporting 1 ready socket
                                                          among N watched
  ctl_watched/<backend>/<add|remove>/watched:N            one registration change with N watched
Backends: epoll_lt, epoll_et, io_uring. select and poll are not here: they watch fd numbers
in this process's own table, so they stop at the fd limit (in the results' context).
N: 1,000, 10,000, 20,000, 50,000, 100,000, 200,000, 500,000, 1,000,000 up to --max-watched.

Before it starts the run measures the kernel memory per watched socketpair on this machine
and refuses (exit 2), naming the figures, a --max-watched that would not fit in MemAvailable,
or that would need more processes, files or epoll watches than the system allows.
See docs/watched.md.

Options:
  --max-watched=N  largest N (default 100,000; --max-watched=1000000 for the million)
  --backends=LIST  only these backends (default: every available one)
  --cpu=N          pin the benchmark thread to CPU N (default: the last allowed CPU)
  --help           this text
Any --benchmark_* flag goes to Google Benchmark, e.g. --benchmark_out=FILE
--benchmark_out_format=json. Default: 3 repetitions, --benchmark_min_time=0.05 per point.
Environment: POLLBENCH_WATCHED_MEM_AVAILABLE_MIB replaces MemAvailable in the memory check
(for tests).
)";
}

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "watched_bench: " << message << "\nsee: watched_bench --help\n";
  std::exit(2);
}

std::size_t parse_count(const std::string& flag, const std::string& value, std::size_t low, std::size_t high) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || value[0] == '-' || errno != 0 || n < low || n > high) {
    usage_error(flag + " takes a whole number from " + std::to_string(low) + " to " + std::to_string(high) +
                ", not '" + value + "'");
  }
  return static_cast<std::size_t>(n);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Why `backend` cannot run here, or "".
std::string unavailable_reason(const std::string& backend) {
  for (const BackendInfo& info : backends()) {
    if (info.name == backend && !info.available) return info.reason;
  }
  return "";
}

std::vector<std::string> pick_backends(const std::string& list) {
  std::vector<std::string> wanted;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) wanted.push_back(item);
  }
  const auto& known = watcher_backends();
  if (wanted.empty()) usage_error("--backends needs at least one of: " + joined(known));
  for (const auto& w : wanted) {
    if (std::find(known.begin(), known.end(), w) == known.end()) {
      usage_error("unknown backend '" + w + "' (valid: " + joined(known) + ")");
    }
    if (std::string why = unavailable_reason(w); !why.empty()) usage_error("backend '" + w + "' is not available here: " + why);
  }
  std::vector<std::string> out;
  for (const auto& k : known) {
    if (std::find(wanted.begin(), wanted.end(), k) != wanted.end()) out.push_back(k);
  }
  return out;
}

}  // namespace

Options parse_options(int& argc, char** argv) {
  Options o;
  std::string backend_list;
  bool cpu_given = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    const std::string flag = arg.substr(0, eq);
    const bool has_value = eq != std::string::npos;
    const std::string value = has_value ? arg.substr(eq + 1) : "";
    if (arg.rfind("--benchmark_", 0) == 0) {
      if (flag == "--benchmark_min_time") o.user_min_time = true;
      if (flag == "--benchmark_repetitions") o.user_repetitions = true;
      argv[kept++] = argv[i];
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      std::exit(0);
    }
    if (flag == "--max-watched" && has_value) {
      o.max_watched = parse_count("--max-watched", value, 2, kMaxWatchedLimit);
    } else if (flag == "--backends" && has_value) {
      backend_list = value;
    } else if (flag == "--cpu" && has_value) {
      o.cpu = static_cast<int>(parse_count("--cpu", value, 0, 1 << 20));
      cpu_given = true;
    } else if (flag == "--max-watched" || flag == "--backends" || flag == "--cpu") {
      usage_error(flag + " needs a value: " + flag + "=...");
    } else {
      usage_error("unknown option '" + arg + "'");
    }
  }
  argc = kept;
  argv[argc] = nullptr;

  if (!backend_list.empty()) {
    o.backends = pick_backends(backend_list);
  } else {
    for (const auto& b : watcher_backends()) {
      if (std::string why = unavailable_reason(b); why.empty()) {
        o.backends.push_back(b);
      } else {
        std::cerr << "watched_bench: skipping backend " << b << ": " << why << "\n";
      }
    }
  }
  if (!cpu_given) o.cpu = default_cpu();
  const auto& cpus = allowed_cpus();
  if (std::find(cpus.begin(), cpus.end(), o.cpu) == cpus.end()) {
    usage_error("--cpu=" + std::to_string(o.cpu) + " is not a CPU this process may use");
  }
  return o;
}

std::vector<std::size_t> watched_points(std::size_t max_watched) {
  std::vector<std::size_t> out;
  for (std::size_t n : {1000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000}) {
    if (n <= max_watched) out.push_back(n);
  }
  if (out.empty() || out.back() != max_watched) out.push_back(max_watched);
  return out;
}

}  // namespace pollbench::watched
