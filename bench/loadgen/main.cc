// loadgen: an HTTP/1.1 keep-alive load generator with idle and active connections.
// The main thread parses the command line, plans sources and fds, starts one Worker per
// thread, reports progress while they connect, waits for --start-at, times the run, and prints
// the JSON report. `loadgen merge` (merge.h) combines reports from several hosts.
#include <signal.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "cli.h"
#include "connection.h"
#include "endpoint.h"
#include "fds.h"
#include "merge.h"
#include "options.h"
#include "parent_death.h"
#include "stats.h"
#include "worker.h"

namespace pollbench::loadgen {
namespace {

constexpr int kUsageExit = 2;
constexpr int kStartFailedExit = 1;

int usage_error(const std::string& message) {
  cli::print_usage_error("loadgen", usage_line(), message);
  return kUsageExit;
}

// Waits up to `timeout_ns` for SIGINT or SIGTERM (blocked in every thread). True if one came.
bool wait_for_signal(const sigset_t& signals, std::int64_t timeout_ns) {
  if (timeout_ns <= 0) return false;
  timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
  return ::sigtimedwait(&signals, nullptr, &ts) > 0;
}

struct Run {
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  Shared shared;

  void set_phase(Phase phase) {
    shared.phase.store(phase, std::memory_order_release);
    for (auto& w : workers) w->wake();
  }
  void join() {
    for (auto& t : threads) t.join();
    threads.clear();
  }
};

// What the command line asked for, checked: the target, and where connections come from.
struct Plan {
  Options options;
  Endpoint target;
  SourcePlan sources;
  std::size_t total() const { return options.idle + options.active; }
};

// Parses and checks the command line into `plan`. Returns the exit status when loadgen must
// stop here (--help, a usage error), nothing when the run can go ahead.
std::optional<int> make_plan(int argc, char** argv, Plan& plan) {
  Options& options = plan.options;
  try {
    options = parse_options(argc, argv);
  } catch (const cli::UsageError& e) {
    return usage_error(e.what());
  }
  if (options.help) {
    std::cout << help_text();
    return 0;
  }
  try {
    plan.target = parse_endpoint(options.target);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  if (!options.allow_remote && !is_loopback(plan.target)) {
    return usage_error("target " + plan.target.text() +
                       " is not a loopback address (127.0.0.0/8 or ::1); loadgen sends to another host only "
                       "with --allow-remote");
  }
  try {
    plan.sources = plan_sources(plan.target, plan.total(), options.sources, read_port_range());
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  // Every connection is an fd; each worker adds an epoll fd and an eventfd.
  raise_fd_limit();
  try {
    require_fds(plan.total() + 2 * options.threads + 8,
                std::to_string(options.idle) + " idle + " + std::to_string(options.active) + " active connections");
  } catch (const FdLimitError& e) {
    return usage_error(e.what());
  }
  return std::nullopt;
}

// SIGINT and SIGTERM end the run early; the main thread takes them with sigtimedwait, so
// they are blocked before any worker thread exists (threads inherit the mask).
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

void make_workers(const Plan& plan, const RequestBytes& request, std::int64_t duration_ns, Run& run) {
  const Options& options = plan.options;
  // The connect phase never outlasts the run it prepares: one connect waits at most
  // --connect-timeout and --duration, and the phase ends after --duration whatever is left.
  const std::int64_t connect_timeout_ns =
      std::max<std::int64_t>(1, std::min(static_cast<std::int64_t>(options.connect_timeout_s * 1e9), duration_ns));
  const std::int64_t connect_phase_end_ns = now_ns() + duration_ns;
  for (unsigned w = 0; w < options.threads; ++w) {
    WorkerConfig config;
    config.index = w;
    config.workers = options.threads;
    config.idle = options.idle;
    config.active = options.active;
    config.target = plan.target;
    config.sources = plan.sources.addresses;
    config.mode = options.mode;
    config.pipeline = options.pipeline;
    config.rate = options.rate;
    config.request = &request;
    config.connect_timeout_ns = connect_timeout_ns;
    config.connect_phase_end_ns = connect_phase_end_ns;
    config.keep_samples = !options.dump_samples.empty();
    run.workers.push_back(std::make_unique<Worker>(std::move(config), run.shared));
  }
}

void announce(const Plan& plan) {
  const std::size_t total = plan.total();
  const unsigned threads = plan.options.threads;
  std::fprintf(stderr, "loadgen: opening %zu connection%s (%zu idle, %zu active) to %s from %s, %u thread%s\n",
               total, total == 1 ? "" : "s", plan.options.idle, plan.options.active, plan.target.text().c_str(),
               plan.sources.describe().c_str(), threads, threads == 1 ? "" : "s");
  const std::size_t per_source = usable_ports(read_port_range());
  if (plan.sources.added_for_ports) {
    std::fprintf(stderr,
                 "loadgen: using %zu source addresses: one carries at most %zu connections (half its ephemeral "
                 "ports; beyond that every connect() scans the whole port range)\n",
                 plan.sources.addresses.size(), per_source);
  } else if (plan.sources.addresses.empty() && total > per_source) {
    std::fprintf(stderr, "loadgen: note: more than %zu connections from one source address open slowly\n", per_source);
  }
}

void start_threads(Run& run) {
  for (auto& worker : run.workers) {
    Worker* w = worker.get();
    run.threads.emplace_back([w, &run] {
      try {
        w->run();
      } catch (const std::exception& e) {
        run.shared.set_fatal(e.what());
        run.shared.workers_connected.fetch_add(1);
        run.shared.workers_finished.fetch_add(1);
      }
    });
  }
}

// Waits until every worker has opened its connections (progress every 1000). True if a
// signal came first.
bool connect_phase(Run& run, const sigset_t& signals, std::size_t total) {
  std::size_t reported = 0;
  while (!run.shared.has_fatal() && run.shared.workers_connected.load(std::memory_order_acquire) < run.workers.size()) {
    if (wait_for_signal(signals, 20'000'000)) return true;
    const std::size_t opened = run.shared.opened.load(std::memory_order_relaxed);
    if (opened / 1000 > reported / 1000) {
      std::fprintf(stderr, "loadgen: %zu/%zu connections open\n", opened, total);
      reported = opened;
    }
  }
  return false;
}

void report_connected(const Run& run, std::size_t total, double seconds) {
  std::size_t idle = 0, active = 0;
  for (const auto& w : run.workers) {
    idle += w->connected_idle();
    active += w->connected_active();
  }
  std::fprintf(stderr, "loadgen: %zu/%zu connections open in %.3f s\n", idle + active, total, seconds);
  std::fprintf(stderr, "connected idle=%zu active=%zu\n", idle, active);
  std::fflush(stderr);
}

std::int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// --start-at: waits, connections open, until this host's wall clock reaches the instant, so
// loadgens on several hosts start together. True if a signal came first.
bool wait_for_start_at(std::int64_t start_at_ns, const sigset_t& signals) {
  std::int64_t left = start_at_ns - realtime_ns();
  if (left < 0) {
    std::fprintf(stderr, "loadgen: starting %.3f s after --start-at: the connections took that long\n",
                 static_cast<double>(-left) / 1e9);
    return false;
  }
  std::fprintf(stderr, "loadgen: waiting %.3f s for --start-at\n", static_cast<double>(left) / 1e9);
  // sigtimedwait measures a relative time; the loop rereads the wall clock until it is there.
  for (; left > 0; left = start_at_ns - realtime_ns()) {
    if (wait_for_signal(signals, left)) return true;
  }
  return false;
}

// The measured window, on both clocks.
struct Window {
  std::int64_t start_ns = 0, end_ns = 0;  // CLOCK_MONOTONIC; 0: the requests never began
  std::int64_t start_unix_ns = 0;         // CLOCK_REALTIME at start_ns
  bool interrupted = false;
};

// The run: requests for --duration, then a drain that collects the answers still owed.
Window run_phase(Run& run, const sigset_t& signals, std::int64_t duration_ns) {
  Window window;
  window.start_ns = now_ns();
  window.start_unix_ns = realtime_ns();
  run.shared.run_start_ns.store(window.start_ns, std::memory_order_release);
  run.set_phase(Phase::running);
  while (!run.shared.has_fatal()) {
    const std::int64_t left = window.start_ns + duration_ns - now_ns();
    if (left <= 0) break;
    if (wait_for_signal(signals, left)) {
      window.interrupted = true;
      break;
    }
  }
  window.end_ns = now_ns();
  return window;
}

RunInfo run_info(const Plan& plan, const WorkerStats& stats, double connect_s, const Window& window) {
  const Options& options = plan.options;
  RunInfo info;
  info.target = plan.target.text();
  info.mode = options.mode == LoadMode::closed_loop ? "closed_loop" : "open_loop";
  info.pipeline = options.pipeline;
  info.rate = options.rate;
  info.latency_from = options.mode == LoadMode::closed_loop ? "send" : "intended_send";
  info.threads = options.threads;
  for (const auto& s : plan.sources.addresses) info.sources.push_back(s.text());
  info.requested_idle = options.idle;
  info.requested_active = options.active;
  info.connect_s = connect_s;
  if (window.start_ns != 0) {
    info.duration_s = static_cast<double>(std::max(window.end_ns, stats.last_answer_ns) - window.start_ns) / 1e9;
  }
  info.interrupted = window.interrupted;
  info.requested_duration_s = options.duration_s;
  info.start_at_unix_ns = options.start_at_unix_ns;
  info.started_at_unix_ns = window.start_unix_ns;
  return info;
}

// --dump-samples: every latency sample, one per line. False (with a message) if it failed.
bool dump_samples(const std::string& path, const std::vector<std::uint64_t>& samples) {
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) {
    std::fprintf(stderr, "loadgen: error: cannot write --dump-samples %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  for (std::uint64_t v : samples) std::fprintf(out, "%llu\n", static_cast<unsigned long long>(v));
  const bool ok = std::fclose(out) == 0;
  if (!ok) std::fprintf(stderr, "loadgen: error: writing --dump-samples %s failed\n", path.c_str());
  return ok;
}

int run(int argc, char** argv) {
  Plan plan;
  if (const auto stop = make_plan(argc, argv, plan)) return *stop;
  const Options& options = plan.options;
  const sigset_t signals = block_stop_signals();
  const RequestBytes request(make_request(options.path, plan.target), std::max<unsigned>(options.pipeline, 64));
  const auto duration_ns = static_cast<std::int64_t>(options.duration_s * 1e9);
  Run run;
  try {
    make_workers(plan, request, duration_ns, run);
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "loadgen: error: %s\n", e.what());
    return kStartFailedExit;
  }
  announce(plan);
  const std::int64_t connect_start = now_ns();
  start_threads(run);
  bool interrupted = connect_phase(run, signals, plan.total());
  if (run.shared.has_fatal()) {
    run.set_phase(Phase::draining);
    run.join();
    std::fprintf(stderr, "loadgen: error: %s\n", run.shared.fatal().c_str());
    return kStartFailedExit;
  }
  const double connect_s = static_cast<double>(now_ns() - connect_start) / 1e9;
  if (!interrupted) report_connected(run, plan.total(), connect_s);
  if (!interrupted && options.start_at_unix_ns != 0) interrupted = wait_for_start_at(options.start_at_unix_ns, signals);
  Window window;
  window.interrupted = interrupted;
  if (!interrupted) window = run_phase(run, signals, duration_ns);
  run.set_phase(Phase::draining);
  run.join();

  WorkerStats stats;
  for (auto& w : run.workers) stats.merge(w->stats());
  std::printf("%s\n", to_json(run_info(plan, stats, connect_s, window), stats).c_str());
  std::fflush(stdout);
  if (run.shared.has_fatal()) {
    std::fprintf(stderr, "loadgen: error: %s\n", run.shared.fatal().c_str());
    return kStartFailedExit;
  }
  if (!options.dump_samples.empty() && !dump_samples(options.dump_samples, stats.samples)) return kStartFailedExit;
  return 0;
}

}  // namespace
}  // namespace pollbench::loadgen

int main(int argc, char** argv) {
  pollbench::die_with_parent();
  if (argc >= 2 && std::string_view(argv[1]) == "merge") return pollbench::loadgen::merge_main(argc - 1, argv + 1);
  return pollbench::loadgen::run(argc, argv);
}
