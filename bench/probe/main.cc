// machine_probe: measures the machine's own figures and prints them as one JSON object.
#include <algorithm>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"
#include "fds.h"
#include "probes.h"
#include "run_context.h"

namespace {

constexpr const char* kDescription =
    "Measures the machine, not pollbench: memory latency, a CPU loop, epoll_wait at N = 1, and poll's "
    "per-fd cost over dup()s against distinct sockets. Prints one JSON object on stdout.";

constexpr const char* kEpilog = R"(Every probe is sampled --repeats times; each figure is {median, lo, hi, coverage, n,
samples}: the median and its distribution-free 95% interval from order statistics (null below 6
samples). Keys: context (kernel, CPU, commit, pinned_cpu, ...), sysfs_caches (what sysfs says,
which on a shared VM overstates the cache a process gets), pointer_chase [{bytes, ns_per_load}],
cpu_loop {ns_per_step}, epoll_wait {ns_per_wait}, poll_per_fd [{fds, layout: dup|distinct,
mode: block|nonblock, ns_per_fd}], skipped [reasons]. N above the fd limit is capped to what fits.
samples keep the order they were taken in.

The dup layout watches N-1 dup()s of one idle socket and one ready socketpair end, last: the same
kernel code as N distinct sockets on one cache-hot file, so where its per-fd cost stays flat while
the distinct layout's rises, the rise is the memory N sockets occupy, not the algorithm.

Exit status: 0 on success, 1 when a probe fails, 2 for a bad command line.
)";

struct Options {
  bool quick = false;
  bool fresh_layouts = false;
  int cpu = 0;
  int repeats = 15;
  std::vector<int> fds{1000, 10000};
  std::vector<int> chase_kib{256, 1024, 2048, 4096, 8192, 16384, 65536};
};

Options parse(int& argc, char** argv) {
  using namespace pollbench;
  Options o;
  cli::Parser p("machine_probe", kDescription);
  p.flag("--quick", o.quick, "fewer samples, shorter ones, poll at N = 1,000 only: a few seconds");
  p.flag("--fresh-layouts", o.fresh_layouts,
         "poll probes: open the fds afresh for every sample (samples[0] is the process's first set)");
  p.count("--cpu", "N", o.cpu, 0, 1 << 20, "pin to CPU N").default_is("the last allowed CPU");
  p.count("--repeats", "R", o.repeats, 6, 1000, "samples per probe").default_is("15; 7 with --quick");
  p.count_list("--fds", o.fds, 2, 1000000, "N of the poll per-fd probes").default_is("1000,10000; 1000 with --quick");
  p.count_list("--chase-kib", o.chase_kib, 4, 4 * 1024 * 1024, "pointer-chase sizes in KiB")
      .default_is("256,1024,2048,4096,8192,16384,65536");
  p.epilog(kEpilog);
  p.parse_or_exit(argc, argv);
  if (o.quick && !p.given("--repeats")) o.repeats = 7;
  if (o.quick && !p.given("--fds")) o.fds = {1000};
  if (!p.given("--cpu")) o.cpu = default_cpu();
  const auto& cpus = allowed_cpus();
  if (std::find(cpus.begin(), cpus.end(), o.cpu) == cpus.end()) {
    std::vector<std::string> list;
    for (int c : cpus) list.push_back(std::to_string(c));
    p.fail("--cpu: " + std::to_string(o.cpu) + " is not a CPU this process may use (allowed: " + cli::joined(list) +
           ")");
  }
  return o;
}

nlohmann::json run(const Options& o) {
  using namespace pollbench;
  probe::Settings settings;
  settings.repeats = o.repeats;
  settings.fresh_layouts = o.fresh_layouts;
  if (o.quick) {
    settings.chase_loads = 1 << 17;
    settings.sample_seconds = 0.005;
  }
  nlohmann::json out;
  out["context"] = run_context(o.cpu);
  out["sysfs_caches"] = probe::sysfs_caches(o.cpu);
  out["settings"] = {{"repeats", o.repeats}, {"quick", o.quick}, {"fresh_layouts", o.fresh_layouts},
                     {"chase_loads", settings.chase_loads},
                     {"sample_seconds", settings.sample_seconds}};
  out["cpu_loop"] = probe::cpu_loop(settings);
  out["epoll_wait"] = probe::epoll_wait_ready(settings);
  out["pointer_chase"] = nlohmann::json::array();
  for (int kib : o.chase_kib) out["pointer_chase"].push_back(probe::pointer_chase(std::size_t(kib) * 1024, settings));
  out["poll_per_fd"] = nlohmann::json::array();
  out["skipped"] = nlohmann::json::array();
  for (int asked : o.fds) {
    // Both layouts need about N fds, one layout at a time; 64 stay free for the process.
    const std::size_t fits = fds_available(64);
    const std::size_t n = std::min<std::size_t>(asked, fits);
    if (n < 2) {
      out["skipped"].push_back("poll at N = " + std::to_string(asked) + ": the fd limit leaves " +
                               std::to_string(fits));
      continue;
    }
    if (n < static_cast<std::size_t>(asked)) {
      out["skipped"].push_back("poll at N = " + std::to_string(asked) + " capped to " + std::to_string(n) +
                               " by the fd limit");
    }
    for (const char* layout : {"distinct", "dup"}) {
      for (auto& row : probe::poll_per_fd(n, layout, settings)) out["poll_per_fd"].push_back(row);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  try {
    pollbench::raise_fd_limit();
    pollbench::pin_to_cpu(options.cpu);
    std::cout << run(options).dump(1) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "machine_probe: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
