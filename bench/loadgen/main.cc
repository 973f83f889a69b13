// loadgen: an HTTP/1.1 keep-alive load generator with idle and active connections.
// The main thread parses the command line, plans sources and fds, starts one Worker per
// thread, reports progress while they connect, times the run, and prints the JSON report.
#include <signal.h>
#include <time.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "cli.h"
#include "connection.h"
#include "endpoint.h"
#include "fds.h"
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

int run(int argc, char** argv) {
  Options options;
  try {
    options = parse_options(argc, argv);
  } catch (const cli::UsageError& e) {
    return usage_error(e.what());
  }
  if (options.help) {
    std::cout << help_text();
    return 0;
  }

  Endpoint target;
  try {
    target = parse_endpoint(options.target);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  if (!options.allow_remote && !is_loopback(target)) {
    return usage_error("target " + target.text() +
                       " is not a loopback address (127.0.0.0/8 or ::1); loadgen sends to another host only "
                       "with --allow-remote");
  }
  const std::size_t total = options.idle + options.active;
  SourcePlan sources;
  try {
    sources = plan_sources(target, total, options.sources, read_port_range());
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }

  // Every connection is an fd; each worker adds an epoll fd and an eventfd.
  raise_fd_limit();
  try {
    require_fds(total + 2 * options.threads + 8,
                std::to_string(options.idle) + " idle + " + std::to_string(options.active) + " active connections");
  } catch (const FdLimitError& e) {
    return usage_error(e.what());
  }

  // SIGINT and SIGTERM end the run early; the main thread takes them with sigtimedwait, so
  // they are blocked before any worker thread exists (threads inherit the mask).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const RequestBytes request(make_request(options.path, target), std::max<unsigned>(options.pipeline, 64));
  const unsigned threads = options.threads;
  // The connect phase never outlasts the run it prepares: one connect waits at most
  // --connect-timeout and --duration, and the phase ends after --duration whatever is left.
  const auto duration_ns = static_cast<std::int64_t>(options.duration_s * 1e9);
  const std::int64_t connect_timeout_ns =
      std::max<std::int64_t>(1, std::min(static_cast<std::int64_t>(options.connect_timeout_s * 1e9), duration_ns));
  const std::int64_t connect_phase_end_ns = now_ns() + duration_ns;
  Run run;
  try {
    for (unsigned w = 0; w < threads; ++w) {
      WorkerConfig config;
      config.index = w;
      config.workers = threads;
      config.idle = options.idle;
      config.active = options.active;
      config.target = target;
      config.sources = sources.addresses;
      config.mode = options.mode;
      config.pipeline = options.pipeline;
      config.rate = options.rate;
      config.request = &request;
      config.connect_timeout_ns = connect_timeout_ns;
      config.connect_phase_end_ns = connect_phase_end_ns;
      run.workers.push_back(std::make_unique<Worker>(std::move(config), run.shared));
    }
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "loadgen: error: %s\n", e.what());
    return kStartFailedExit;
  }

  std::fprintf(stderr, "loadgen: opening %zu connection%s (%zu idle, %zu active) to %s from %s, %u thread%s\n",
               total, total == 1 ? "" : "s", options.idle, options.active, target.text().c_str(),
               sources.describe().c_str(), threads, threads == 1 ? "" : "s");
  const std::size_t per_source = usable_ports(read_port_range());
  if (sources.added_for_ports) {
    std::fprintf(stderr,
                 "loadgen: using %zu source addresses: one carries at most %zu connections (half its ephemeral "
                 "ports; beyond that every connect() scans the whole port range)\n",
                 sources.addresses.size(), per_source);
  } else if (sources.addresses.empty() && total > per_source) {
    std::fprintf(stderr, "loadgen: note: more than %zu connections from one source address open slowly\n", per_source);
  }
  const std::int64_t connect_start = now_ns();
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

  // Connect phase: progress every 1000 connections.
  bool interrupted = false;
  std::size_t reported = 0;
  while (!run.shared.has_fatal() && run.shared.workers_connected.load(std::memory_order_acquire) < threads) {
    if (wait_for_signal(signals, 20'000'000)) {
      interrupted = true;
      break;
    }
    const std::size_t opened = run.shared.opened.load(std::memory_order_relaxed);
    if (opened / 1000 > reported / 1000) {
      std::fprintf(stderr, "loadgen: %zu/%zu connections open\n", opened, total);
      reported = opened;
    }
  }
  if (run.shared.has_fatal()) {
    run.set_phase(Phase::draining);
    run.join();
    std::fprintf(stderr, "loadgen: error: %s\n", run.shared.fatal().c_str());
    return kStartFailedExit;
  }
  const std::int64_t connected_at = now_ns();
  if (!interrupted) {
    std::size_t idle = 0, active = 0;
    for (auto& w : run.workers) {
      idle += w->connected_idle();
      active += w->connected_active();
    }
    std::fprintf(stderr, "loadgen: %zu/%zu connections open in %.3f s\n", idle + active, total,
                 static_cast<double>(connected_at - connect_start) / 1e9);
    std::fprintf(stderr, "connected idle=%zu active=%zu\n", idle, active);
    std::fflush(stderr);
  }

  // The run: requests for --duration, then a drain that collects the answers still owed.
  std::int64_t run_start = 0, run_end = 0;
  if (!interrupted) {
    run_start = now_ns();
    run.shared.run_start_ns.store(run_start, std::memory_order_release);
    run.set_phase(Phase::running);
    while (!run.shared.has_fatal()) {
      const std::int64_t left = run_start + duration_ns - now_ns();
      if (left <= 0) break;
      if (wait_for_signal(signals, left)) {
        interrupted = true;
        break;
      }
    }
    run_end = now_ns();
  }
  run.set_phase(Phase::draining);
  run.join();

  WorkerStats stats;
  for (auto& w : run.workers) stats.merge(w->stats());
  RunInfo info;
  info.target = target.text();
  info.mode = options.mode == LoadMode::closed_loop ? "closed_loop" : "open_loop";
  info.pipeline = options.pipeline;
  info.rate = options.rate;
  info.latency_from = options.mode == LoadMode::closed_loop ? "send" : "intended_send";
  info.threads = threads;
  for (const auto& s : sources.addresses) info.sources.push_back(s.text());
  info.requested_idle = options.idle;
  info.requested_active = options.active;
  info.connect_s = static_cast<double>(connected_at - connect_start) / 1e9;
  if (run_start != 0) info.duration_s = static_cast<double>(std::max(run_end, stats.last_answer_ns) - run_start) / 1e9;
  info.interrupted = interrupted;
  std::printf("%s\n", to_json(info, stats).c_str());
  std::fflush(stdout);
  if (run.shared.has_fatal()) {
    std::fprintf(stderr, "loadgen: error: %s\n", run.shared.fatal().c_str());
    return kStartFailedExit;
  }
  return 0;
}

}  // namespace
}  // namespace pollbench::loadgen

int main(int argc, char** argv) {
  pollbench::die_with_parent();
  return pollbench::loadgen::run(argc, argv);
}
