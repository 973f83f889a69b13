#include "options.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>

#include "benchmark_filter.h"
#include "fds.h"
#include "poller.h"
#include "run_context.h"

namespace pollbench::wait {

namespace {

void usage(std::ostream& out) {
  out << R"(usage: wait_bench [--quick] [--backends=a,b] [--fdkinds=pipe,socketpair,tcp] [--cpu=N]
                  [--max-fds=N] [--help] [--benchmark_* flags]

Per-wait cost of select, poll, epoll (level- and edge-triggered) and io_uring against the
number of watched fds. Families (Google Benchmark names):
  wait/<backend>/<fdkind>/mode:M/pos:P/fds:N/active:A
                    one wait reporting A ready fds among N watched
  ctl/<backend>/<add|modify|remove>/fds:N
                    one interest-set change with N fds registered
  wakeup/<backend>/fds:N
                    write on another CPU -> wait returns, N idle fds
  raw/<mechanism>/socketpair/mode:M/pos:P/fds:N/active:1
                    the wait loop written against the system calls
where M is how the wait is asked for: block (a 1 s timeout; the fds are already ready) or
nonblock (timeout 0, as a busy-polling loop), and P where the A ready fds sit among the N, in
fd order: first (the first A), last (the last A), middle (a block of A centred in N) or
spread (index floor((2i+1)N/2A) for i < A: the middle one for A = 1). Every N and fd kind runs
mode:block/pos:spread; socketpair adds, at a few N, A = 1 in both modes at first, middle and
last, and a denser ready sweep (A up to N) for the crossover. See docs/wait.md.

Options:
  --quick          a reduced sweep of every family (socketpair fds only unless --fdkinds,
                   N up to 10,000, 3 repetitions): about half a minute on 2 cores
  --backends=LIST  only these backends (default: every available one; see backends_list)
  --fdkinds=LIST   only these fd kinds for the wait family (default: all; --quick: socketpair)
  --cpu=N          pin the benchmark thread to CPU N (default: the last allowed CPU); the
                   wakeup family's writer runs on another allowed CPU
  --max-fds=N      largest N (watched fds) to sweep (default: what the fd limit allows, up to
                   1,000,000; 10,000 with --quick)
  --help           this text
Any --benchmark_* flag goes to Google Benchmark, e.g. --benchmark_out=FILE
--benchmark_out_format=json, --benchmark_filter=REGEX. The binary sets its own
--benchmark_min_time per family and 5 repetitions (3 with --quick) unless those flags are given.
)";
}

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "wait_bench: " << message << "\nsee: wait_bench --help\n";
  std::exit(2);
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// A whole number in [low, high], or exit 2 naming the flag and the range.
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

std::vector<std::string> pick_backends(const std::string& list) {
  std::vector<std::string> known;
  for (const auto& b : backends()) known.push_back(b.name);
  const std::vector<std::string> wanted = split(list);
  if (wanted.empty()) usage_error("--backends needs at least one of: " + joined(known));
  std::vector<std::string> out;
  for (const auto& info : backends()) {
    if (std::find(wanted.begin(), wanted.end(), info.name) == wanted.end()) continue;
    if (!info.available) usage_error("backend '" + info.name + "' is not available here: " + info.reason);
    out.push_back(info.name);
  }
  for (const auto& w : wanted) {
    if (std::find(known.begin(), known.end(), w) == known.end()) {
      usage_error("unknown backend '" + w + "' (valid: " + joined(known) + ")");
    }
  }
  return out;
}

std::vector<std::string> pick_fdkinds(const std::string& list) {
  const std::vector<std::string> wanted = split(list);
  if (wanted.empty()) usage_error("--fdkinds needs at least one of: " + joined(fd_kinds()));
  for (const auto& w : wanted) {
    if (std::find(fd_kinds().begin(), fd_kinds().end(), w) == fd_kinds().end()) {
      usage_error("unknown fd kind '" + w + "' (valid: " + joined(fd_kinds()) + ")");
    }
  }
  std::vector<std::string> out;
  for (const auto& k : fd_kinds()) {
    if (std::find(wanted.begin(), wanted.end(), k) != wanted.end()) out.push_back(k);
  }
  return out;
}

}  // namespace

Options parse_options(int& argc, char** argv) {
  Options o;
  std::string backend_list, fdkind_list;
  bool backends_given = false;  // --backends= (empty) is an error, not "all of them"
  bool cpu_given = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    const std::string flag = arg.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    const bool has_value = eq != std::string::npos;
    if (arg.rfind("--benchmark_", 0) == 0) {
      if (flag == "--benchmark_min_time") o.user_min_time = true;
      if (flag == "--benchmark_repetitions") o.user_repetitions = std::atoi(value.c_str());
      if (flag == "--benchmark_filter") {
        if (const std::string why = benchmark_filter_error(value); !why.empty()) {
          usage_error("--benchmark_filter: not a regular expression: '" + value + "' (" + why + ")");
        }
      }
      argv[kept++] = argv[i];
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      std::exit(0);
    }
    if (arg == "--quick") {
      o.quick = true;
    } else if (flag == "--backends" && has_value) {
      backend_list = value;
      backends_given = true;
    } else if (flag == "--fdkinds" && has_value) {
      fdkind_list = value;
    } else if (flag == "--cpu" && has_value) {
      o.cpu = static_cast<int>(parse_count("--cpu", value, 0, 1 << 20));
      cpu_given = true;
    } else if (flag == "--max-fds" && has_value) {
      o.max_fds = parse_count("--max-fds", value, 1, 100000000);
    } else if (flag == "--backends" || flag == "--fdkinds" || flag == "--cpu" || flag == "--max-fds") {
      usage_error(flag + " needs a value: " + flag + "=...");
    } else {
      usage_error("unknown option '" + arg + "'");
    }
  }
  argc = kept;
  argv[argc] = nullptr;

  o.backends = backends_given ? pick_backends(backend_list) : available_backends();
  if (!backends_given) {  // an unavailable backend asked for by name was refused above
    for (const auto& info : backends()) {
      if (!info.available) std::cerr << "wait_bench: skipping backend " << info.name << ": " << info.reason << "\n";
    }
  }
  if (!fdkind_list.empty()) {
    o.fdkinds = pick_fdkinds(fdkind_list);
  } else if (o.quick) {
    o.fdkinds = {"socketpair"};
  } else {
    o.fdkinds = fd_kinds();
  }
  if (!cpu_given) o.cpu = default_cpu();
  const auto& cpus = allowed_cpus();
  if (std::find(cpus.begin(), cpus.end(), o.cpu) == cpus.end()) {
    std::string list;
    for (int c : cpus) {
      if (!list.empty()) list += ',';
      list += std::to_string(c);
    }
    usage_error("--cpu=" + std::to_string(o.cpu) + " is not a CPU this process may use (allowed: " + list + ")");
  }
  return o;
}

std::vector<std::size_t> sweep_points(std::size_t largest, bool quick) {
  std::vector<std::size_t> out;
  for (std::size_t decade = 1; decade <= largest; decade *= 10) {
    for (std::size_t step : {1, 2, 5}) {
      if (quick && step != 1) continue;
      if (decade * step <= largest) out.push_back(decade * step);
    }
    if (decade > largest / 10) break;
  }
  // The largest itself, unless a sweep point is already within 10% of it.
  if (out.empty() || static_cast<double>(largest) > 1.1 * static_cast<double>(out.back())) out.push_back(largest);
  return out;
}

}  // namespace pollbench::wait
