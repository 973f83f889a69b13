// watched_bench: epoll and io_uring watching up to a million sockets in a process whose fd
// limit is a fiftieth of that. See docs/watched.md for how to run the million and what is timed.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "benchmark_context.h"
#include "benchmark_main.h"
#include "fd.h"
#include "holders.h"
#include "poller.h"
#include "preflight.h"
#include "run_context.h"
#include "watched_families.h"
#include "watched_options.h"
#include "watched_set.h"

namespace {

using namespace pollbench;
using namespace pollbench::watched;

// Watched sockets each backend's memory is measured on (or --max-watched, when smaller):
// enough that the figure is hundreds of MiB above the noise of other processes' allocations.
constexpr std::size_t kMemorySample = 20000;

std::string format(const char* fmt, double a, double b = 0) {
  char text[128];
  std::snprintf(text, sizeof text, fmt, a, b);
  return text;
}

// Measures kernel memory per watched socketpair for each backend (a set of kMemorySample,
// built and torn down), records it in the context, and returns the largest.
double measure_kernel_bytes_per_watched(const Options& options, std::string& measured_on) {
  const std::size_t sample = std::min(kMemorySample, options.max_watched);
  double worst = 0;
  settle_kernel_memory();
  for (const std::string& backend : options.backends) {
    Growth g;
    {
      WatchedSet set(backend);
      g = set.grow_to(sample);
    }
    settle_kernel_memory();
    benchmark::AddCustomContext("kernel_bytes_per_watched/" + backend, format("%.0f", g.kernel_bytes_per_added));
    benchmark::AddCustomContext("setup_ns_per_watched/" + backend, format("%.0f", g.ns_per_added));
    benchmark::AddCustomContext("setup_add_ns/" + backend, format("%.0f", g.add_ns_per_added));
    std::fprintf(stderr, "watched_bench: %s: %.2f KiB of kernel memory and %.0f ns of set-up per watched socket (%zu measured)\n",
                 backend.c_str(), g.kernel_bytes_per_added / 1024.0, g.ns_per_added, g.added);
    worst = std::max(worst, g.kernel_bytes_per_added);
  }
  measured_on = std::to_string(sample) + " watched socketpairs";
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse_options(argc, argv);
  FdLimit limit{};
  try {
    limit = raise_fd_limit();
    pin_to_cpu(options.cpu);
  } catch (const std::exception& e) {
    std::cerr << "watched_bench: " << e.what() << "\n";
    return 2;
  }
  warn_if_unoptimized();

  const std::size_t per_holder = files_per_holder();
  const std::size_t holders_needed = (2 * options.max_watched + per_holder - 1) / per_holder;
  const bool uses_epoll = std::any_of(options.backends.begin(), options.backends.end(), [](const std::string& b) {
    return std::string_view(backend_info(b).traits.raw) == "epoll";
  });
  double bytes_per_watched = 0;
  try {
    check_limits(options.max_watched, holders_needed, uses_epoll);
    std::string measured_on;
    bytes_per_watched = measure_kernel_bytes_per_watched(options, measured_on);
    check_memory(options.max_watched, bytes_per_watched, measured_on);
  } catch (const std::exception& e) {
    std::cerr << "watched_bench: refusing --max-watched=" << options.max_watched << ": " << e.what() << "\n";
    return 2;
  }

  add_run_context(options.cpu);
  add_clock_read_context();
  benchmark::AddCustomContext("max_watched", std::to_string(options.max_watched));
  benchmark::AddCustomContext("holder_files_each", std::to_string(per_holder));
  benchmark::AddCustomContext("mem_available_mib", std::to_string(mem_available_kib() / 1024));
  benchmark::AddCustomContext(
      "select_poll_limit",
      "select and poll watch fd numbers in this process's own table, so they stop at the fd limit (" +
          std::to_string(limit.soft) + "); epoll and io_uring watch files, which holder processes keep open");
  for (const std::string& backend : options.backends) {
    benchmark::AddCustomContext("setup/" + backend, make_watcher(backend)->setup());
  }

  register_families(options);
  const int status = run_benchmarks("watched_bench", argc, argv, BenchmarkNames::promised);
  release_watched_set();  // every holder exits, and its files close, before this process does
  return status;
}
