// One worker thread: an epoll loop that opens its share of the connections, then drives the
// active ones (closed or open loop) and watches the idle ones, keeping its own stats.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "connection.h"
#include "backoff.h"
#include "endpoint.h"
#include "open_loop_schedule.h"
#include "options.h"
#include "stats.h"
#include "timer_queue.h"

namespace pollbench::loadgen {

// The run's phases, set by the main thread; workers follow.
enum class Phase : int { connecting, running, draining };

// What the main thread and the workers share. Written rarely (phase changes, progress).
struct Shared {
  std::atomic<Phase> phase{Phase::connecting};
  std::atomic<std::int64_t> run_start_ns{0};
  std::atomic<std::size_t> opened{0};            // connections opened in the connect phase
  std::atomic<unsigned> workers_connected{0};    // workers whose connect phase is over
  std::atomic<unsigned> workers_finished{0};

  // A connect-phase failure that makes the run pointless (refused, no address, fd limit).
  void set_fatal(const std::string& message);
  std::string fatal() const;
  bool has_fatal() const { return has_fatal_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::string fatal_;
  std::atomic<bool> has_fatal_{false};
};

// SYNs a busy server's full accept queue dropped are resent after 1, 3, 7 and 15 s; this
// waits out all four.
inline constexpr std::int64_t kDefaultConnectTimeoutNs = 20'000'000'000;

struct WorkerConfig {
  unsigned index = 0;             // worker w opens connection numbers w, w+T, w+2T, ...
  unsigned workers = 1;           // T
  std::size_t idle = 0;           // totals across workers; numbers 0..A-1 are the active ones
  std::size_t active = 0;
  Endpoint target;
  std::vector<Endpoint> sources;  // connection k binds sources[k % size]; empty: no bind
  LoadMode mode = LoadMode::closed_loop;
  unsigned pipeline = 1;
  double rate = 0;                // open loop: requests/s across every worker
  const RequestBytes* request = nullptr;
  // How long one connect may take (main bounds it by --duration).
  std::int64_t connect_timeout_ns = kDefaultConnectTimeoutNs;
  // CLOCK_MONOTONIC time at which the connect phase ends whatever is still unopened: connects
  // in flight then count as connect_timeout, and so do connections never started.
  std::int64_t connect_phase_end_ns = TimerQueue::kNever;
  Backoff backoff;  // an active connection's wait before it reopens
  std::int64_t drain_timeout_ns = 2'000'000'000;
  std::size_t connect_window = 128;  // connects in flight at once in the connect phase
  bool keep_samples = false;         // also keep every latency sample (--dump-samples)
};

class Worker {
 public:
  Worker(WorkerConfig config, Shared& shared);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The thread body: returns once the drain is over.
  void run();
  // Wakes the loop so it sees a new phase (any thread).
  void wake();

  // Valid once workers_connected counts this worker.
  std::size_t connected_idle() const { return connected_idle_; }
  std::size_t connected_active() const { return connected_active_; }
  // Valid once run() returned.
  const WorkerStats& stats() const { return stats_; }

 private:
  void on_phase(Phase phase, std::int64_t now);
  void open_more(std::int64_t now);
  void open(std::uint32_t id, std::int64_t now);
  void on_event(std::uint32_t id, std::uint32_t events, std::int64_t now);
  void on_connected(std::uint32_t id, std::int64_t now);
  void on_connect_failed(std::uint32_t id, int error, const char* step, std::int64_t now);
  void on_idle_readable(std::uint32_t id);
  void on_active_readable(std::uint32_t id);
  void issue(std::uint32_t id, unsigned count, std::int64_t sent_ns);
  void flush(std::uint32_t id);
  void break_connection(std::uint32_t id, ErrorKind kind, const std::string& why, std::int64_t now);
  void close_fd(Connection& c);
  void send_scheduled(std::int64_t now);
  void fire_timers(std::int64_t now);
  void end_connect_phase(std::int64_t now);
  void check_connect_phase_done();
  void back_off(std::uint32_t id, std::int64_t now);
  void finish();
  std::int64_t next_deadline() const;
  void arm(Connection& c, std::uint32_t id, bool want_write, int op);
  void note_error(ErrorKind kind, const std::string& why, std::uint64_t count = 1);
  std::string describe_connect_error(int error, const char* step, const Connection& c) const;

  WorkerConfig config_;
  Shared& shared_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: the main thread's nudge
  std::vector<Connection> connections_;
  std::vector<ActiveState> actives_;
  std::vector<std::uint32_t> active_ids_;  // connection id of each ActiveState
  WorkerStats stats_;

  Phase phase_ = Phase::connecting;
  bool finished_ = false;
  bool connect_phase_reported_ = false;
  std::size_t next_unopened_ = 0;     // connect phase: next connection id to open
  std::size_t connecting_ = 0;        // connects in flight
  std::size_t outstanding_ = 0;       // requests issued and unanswered, every connection
  // A connecting connection's timeout, or when a connection in backoff reopens.
  TimerQueue timers_;
  std::size_t connected_idle_ = 0, connected_active_ = 0;
  std::int64_t drain_deadline_ns_ = 0;

  // Open loop: this worker's share of the rate; request j goes to active connection j mod A.
  OpenLoopSchedule schedule_;
  std::vector<std::uint32_t> touched_;  // connections with new requests to flush

  std::vector<char> read_buffer_;
};

}  // namespace pollbench::loadgen
