#include "probes.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

#include "error.h"
#include "fds.h"
#include "summary.h"

namespace pollbench::probe {

namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ns(Clock::time_point start) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

// Calls `once` in blocks sized to about settings.sample_seconds; returns ns per call of each block.
template <typename Once>
std::vector<double> sample_calls(const Settings& settings, Once once) {
  auto start = Clock::now();
  once();
  once();  // warm
  const double first_ns = std::max(1.0, elapsed_ns(start) / 2);
  const auto calls = static_cast<std::size_t>(std::clamp(settings.sample_seconds * 1e9 / first_ns, 3.0, 1e8));
  std::vector<double> out;
  for (int r = 0; r < settings.repeats; ++r) {
    start = Clock::now();
    for (std::size_t i = 0; i < calls; ++i) once();
    out.push_back(elapsed_ns(start) / static_cast<double>(calls));
  }
  return out;
}

struct alignas(64) Node {
  Node* next;
};
static_assert(sizeof(Node) == 64);

}  // namespace

nlohmann::json pointer_chase(std::size_t bytes, const Settings& settings) {
  const std::size_t count = std::max<std::size_t>(2, bytes / sizeof(Node));
  std::vector<Node> nodes(count);
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(42);
  // Sattolo: a uniformly random permutation with a single cycle.
  for (std::size_t i = count - 1; i > 0; --i) {
    std::uniform_int_distribution<std::size_t> pick(0, i - 1);
    std::swap(order[i], order[pick(rng)]);
  }
  for (std::size_t i = 0; i < count; ++i) nodes[i].next = &nodes[order[i]];

  Node* p = &nodes[0];
  auto chase = [&p](std::size_t loads) {
    for (std::size_t i = 0; i < loads; ++i) {
      p = p->next;
      asm volatile("" : "+r"(p));
    }
  };
  chase(count);  // one lap: every line fetched once before timing
  std::vector<double> samples;
  for (int r = 0; r < settings.repeats; ++r) {
    const auto start = Clock::now();
    chase(settings.chase_loads);
    samples.push_back(elapsed_ns(start) / static_cast<double>(settings.chase_loads));
  }
  return {{"bytes", count * sizeof(Node)}, {"loads_per_sample", settings.chase_loads},
          {"ns_per_load", summarize(samples)}};
}

nlohmann::json cpu_loop(const Settings& settings) {
  constexpr std::size_t kSteps = 1 << 16;
  std::uint64_t x = 1;
  auto block = [&x] {
    for (std::size_t i = 0; i < kSteps; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      asm volatile("" : "+r"(x));
    }
  };
  std::vector<double> per_block = sample_calls(settings, block);
  for (double& ns : per_block) ns /= kSteps;
  return {{"what", "dependent 64-bit multiply-add chain"}, {"ns_per_step", summarize(per_block)}};
}

nlohmann::json epoll_wait_ready(const Settings& settings) {
  FdPair pair = make_socketpair();
  OwnedFd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep) throw_errno("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, pair.a.get(), &ev) < 0) throw_errno("epoll_ctl ADD");
  const char byte = 'x';
  if (::write(pair.b.get(), &byte, 1) != 1) throw_errno("write");
  auto once = [&] {
    epoll_event out{};
    const int n = ::epoll_wait(ep.get(), &out, 1, 1000);
    if (n != 1) throw_errno("epoll_wait returned " + std::to_string(n) + ", expected 1 ready fd");
  };
  return {{"fds", 1}, {"timeout_ms", 1000}, {"ns_per_wait", summarize(sample_calls(settings, once))}};
}

namespace {

// The watched fds of one layout and the peer that makes the last one readable.
struct Layout {
  std::vector<OwnedFd> owned;
  std::vector<pollfd> watched;
  int ready_peer = -1;
};

Layout make_layout(std::size_t n, const std::string& layout) {
  Layout out;
  if (layout == "dup") {
    FdPair idle = make_socketpair();
    const int original = idle.a.get();
    out.watched.push_back(pollfd{original, POLLIN, 0});
    out.owned.push_back(std::move(idle.a));
    out.owned.push_back(std::move(idle.b));
    while (out.watched.size() + 1 < n) {
      OwnedFd copy(::fcntl(original, F_DUPFD_CLOEXEC, 0));
      if (!copy) throw_open_error("dup of the idle socket");
      out.watched.push_back(pollfd{copy.get(), POLLIN, 0});
      out.owned.push_back(std::move(copy));
    }
  } else if (layout == "distinct") {
    while (out.watched.size() + 1 < n) {
      FdPair pair = make_socketpair();
      out.watched.push_back(pollfd{pair.a.get(), POLLIN, 0});
      if (out.watched.size() + 1 < n) out.watched.push_back(pollfd{pair.b.get(), POLLIN, 0});
      out.owned.push_back(std::move(pair.a));
      out.owned.push_back(std::move(pair.b));
    }
  } else {
    throw std::invalid_argument("unknown layout '" + layout + "' (valid: dup, distinct)");
  }
  FdPair ready = make_socketpair();
  out.watched.push_back(pollfd{ready.a.get(), POLLIN, 0});
  out.ready_peer = ready.b.get();
  out.owned.push_back(std::move(ready.a));
  out.owned.push_back(std::move(ready.b));
  return out;
}

}  // namespace

namespace {

constexpr std::pair<const char*, int> kPollModes[] = {{"block", 1000}, {"nonblock", 0}};

// Samples of ns per watched fd of each mode (kPollModes' order) over one layout.
std::vector<std::vector<double>> sample_layout(Layout& fds, const Settings& settings) {
  const char byte = 'x';
  if (::write(fds.ready_peer, &byte, 1) != 1) throw_errno("write");
  std::vector<std::vector<double>> out;
  for (const auto& [mode, timeout_ms] : kPollModes) {
    auto once = [&fds, timeout = timeout_ms] {
      const int n = ::poll(fds.watched.data(), fds.watched.size(), timeout);
      if (n != 1 || fds.watched.back().revents != POLLIN) {
        throw std::runtime_error("poll returned " + std::to_string(n) + ", expected the last fd alone ready");
      }
    };
    std::vector<double> per_fd = sample_calls(settings, once);
    for (double& ns : per_fd) ns /= static_cast<double>(fds.watched.size());
    out.push_back(std::move(per_fd));
  }
  return out;
}

}  // namespace

nlohmann::json poll_per_fd(std::size_t watched, const std::string& layout, const Settings& settings) {
  require_fds(watched + 16, "poll probe over " + std::to_string(watched) + " " + layout + " fds");
  std::vector<std::vector<double>> per_mode(std::size(kPollModes));
  if (!settings.fresh_layouts) {
    Layout fds = make_layout(watched, layout);
    per_mode = sample_layout(fds, settings);
  } else {
    // One sample per layout, each layout opened after the last one closed: the samples, in order,
    // tell whether reopened sockets (the kernel reusing freed objects) cost more than the first.
    Settings one = settings;
    one.repeats = 1;
    for (int r = 0; r < settings.repeats; ++r) {
      Layout fds = make_layout(watched, layout);
      const auto samples = sample_layout(fds, one);
      for (std::size_t m = 0; m < per_mode.size(); ++m) per_mode[m].push_back(samples[m].front());
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t m = 0; m < per_mode.size(); ++m) {
    out.push_back({{"fds", watched}, {"layout", layout}, {"mode", kPollModes[m].first},
                   {"timeout_ms", kPollModes[m].second}, {"fresh_layouts", settings.fresh_layouts},
                   {"ns_per_fd", summarize(per_mode[m])}});
  }
  return out;
}

nlohmann::json sysfs_caches(int cpu) {
  nlohmann::json out = nlohmann::json::array();
  const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cache/index";
  for (int index = 0; index < 16; ++index) {
    auto read = [&](const char* name) {
      std::ifstream in(base + std::to_string(index) + "/" + name);
      std::string value;
      std::getline(in, value);
      return value;
    };
    const std::string size = read("size");
    if (size.empty()) break;
    out.push_back({{"index", index}, {"level", read("level")}, {"type", read("type")}, {"size", size},
                   {"shared_cpu_list", read("shared_cpu_list")}});
  }
  return out;
}

}  // namespace pollbench::probe
