#include "rig.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <vector>

#include <nlohmann/json.hpp>

#include "fds.h"
#include "listener.h"
#include "poller.h"

namespace pollbench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::unique_ptr<Rig> g_rig;

// loadgen runs until stopped with SIGTERM; this only has to outlast any benchmark.
constexpr const char* kForeverSeconds = "100000";
// Untimed turns after the active connections open: a closed loop is steady after a few round
// trips, and this is paid on every call of a benchmark.
constexpr auto kWarmUp = 20ms;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

namespace {

// `object` inside the JSON text (the top level when `object` is empty), or null when the text
// is not JSON or has no such object.
nlohmann::json parsed_object(const std::string& json, const std::string& object) {
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return nullptr;
  if (object.empty()) return parsed;
  const auto it = parsed.find(object);
  if (it == parsed.end() || !it->is_object()) return nullptr;
  return *it;
}

}  // namespace

std::string object_text(const std::string& json, const std::string& object) {
  const nlohmann::json found = parsed_object(json, object);
  return found.is_null() ? "" : found.dump();
}

double number_in(const std::string& json, const std::string& object, const std::string& key) {
  const nlohmann::json found = parsed_object(json, object);
  if (found.is_null()) return NAN;
  const auto it = found.find(key);
  return it != found.end() && it->is_number() ? it->get<double>() : NAN;
}

double sum_of(const std::string& json, const std::string& object) {
  const nlohmann::json found = parsed_object(json, object);
  if (found.is_null()) return NAN;
  double total = 0;
  for (const auto& value : found) {
    if (value.is_number()) total += value.get<double>();
  }
  return total;
}

unsigned sources_for(std::size_t connections) {
  return static_cast<unsigned>(std::max<std::size_t>(1, (connections + 4999) / 5000));
}

Rig* Rig::current() { return g_rig.get(); }

std::string Rig::prepare(const RigPlan& plan) {
  if (g_rig && (g_rig->plan_.backend != plan.backend || g_rig->plan_.idle != plan.idle ||
                g_rig->plan_.loadgen != plan.loadgen || g_rig->plan_.loadgen_cpu != plan.loadgen_cpu ||
                (g_rig->idle_ && !g_rig->idle_->running()))) {
    tear_down();
  }
  std::string error;
  if (!g_rig) {
    g_rig.reset(new Rig());
    g_rig->plan_ = plan;
    try {
      require_fds(plan.idle + plan.active + 64, "tcp_bench's server with " + std::to_string(plan.idle + plan.active) +
                                                    " connections");
      OwnedFd listener = listen_tcp("127.0.0.1", 0);
      g_rig->server_ = std::make_unique<Server>(make_poller(plan.backend), std::move(listener));
      error = g_rig->open_idle();
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  Rig& rig = *g_rig;
  if (error.empty()) {
    if (rig.active_) rig.finish_active();  // left over from a call that ended early
    rig.plan_.active = plan.active;
    try {
      error = rig.open_active();
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (error.empty() && rig.server_->open_connections() != plan.idle + plan.active) {
    error = std::to_string(rig.server_->open_connections()) + " connections open instead of " +
            std::to_string(plan.idle + plan.active);
  }
  if (!error.empty()) tear_down();
  return error;
}

void Rig::tear_down() {
  if (!g_rig) return;
  g_rig->stop(g_rig->active_, g_rig->plan_.idle);
  g_rig->stop(g_rig->idle_, 0);
  g_rig->server_.reset();
  g_rig.reset();
}

LoadgenReport Rig::finish_active() { return stop(active_, idle_ ? plan_.idle : 0); }

std::string Rig::open_idle() {
  if (plan_.idle == 0) return "";
  const auto start = Clock::now();
  idle_ = std::make_unique<LoadgenProcess>(
      plan_.loadgen,
      std::vector<std::string>{"--target", local_endpoint(server_->listener_fd()), "--idle", std::to_string(plan_.idle),
                               "--active", "0", "--duration", kForeverSeconds, "--sources",
                               std::to_string(sources_for(plan_.idle))},
      plan_.loadgen_cpu);
  std::string error = wait_for_open(plan_.idle, *idle_, "idle");
  idle_connect_s_ = seconds_since(start);
  return error;
}

std::string Rig::open_active() {
  const auto start = Clock::now();
  active_ = std::make_unique<LoadgenProcess>(
      plan_.loadgen,
      std::vector<std::string>{"--target", local_endpoint(server_->listener_fd()), "--idle", "0", "--active",
                               std::to_string(plan_.active), "--duration", kForeverSeconds, "--threads", "1",
                               "--sources", std::to_string(sources_for(plan_.active))},
      plan_.loadgen_cpu);
  std::string error = wait_for_open(plan_.idle + plan_.active, *active_, "active");
  active_connect_s_ = seconds_since(start);
  if (!error.empty()) return error;
  for (const auto end = Clock::now() + kWarmUp; Clock::now() < end;) server_->turn(100ms);
  return "";
}

std::string Rig::wait_for_open(std::size_t open, LoadgenProcess& loadgen, const char* which) {
  const auto start = Clock::now();
  const auto deadline = start + 30s + open * 500us;
  while (server_->open_connections() < open && Clock::now() < deadline && loadgen.running()) server_->turn(50ms);
  if (server_->open_connections() >= open) return "";
  return "only " + std::to_string(server_->open_connections()) + " of " + std::to_string(open) +
         " connections open after " + std::to_string(seconds_since(start)) + " s; the " + which + " loadgen (" +
         (loadgen.running() ? std::string("running") : loadgen.how_it_ended()) + ") said: " + loadgen.stderr_tail();
}

// Stops a loadgen while the server keeps answering, so its last requests are answered and it
// leaves cleanly; then serves until the server has seen its connections close (down to
// `remaining` open).
LoadgenReport Rig::stop(std::unique_ptr<LoadgenProcess>& loadgen, std::size_t remaining) {
  LoadgenReport report;
  if (!loadgen) return report;
  loadgen->request_stop();
  const auto deadline = Clock::now() + 10s;
  while (loadgen->running() && Clock::now() < deadline) server_->turn(10ms);
  report.ended = loadgen->wait(1s);
  for (const auto close_deadline = Clock::now() + 5s;
       server_->open_connections() > remaining && Clock::now() < close_deadline;) {
    server_->turn(10ms);
  }
  report.json = loadgen->output();
  report.stderr_tail = loadgen->stderr_tail();
  loadgen.reset();
  return report;
}

}  // namespace pollbench
