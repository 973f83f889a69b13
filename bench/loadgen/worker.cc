#include "worker.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <system_error>

#include "error.h"
#include "fd.h"

namespace pollbench::loadgen {

namespace {

constexpr std::uint64_t kWakeToken = std::numeric_limits<std::uint64_t>::max();
constexpr std::size_t kMaxEvents = 512;
constexpr std::size_t kReadBufferSize = 256 * 1024;
constexpr std::size_t kOpenLoopQueueCap = 65536;       // scheduled requests waiting on one connection
constexpr std::int64_t kNever = TimerQueue::kNever;
// The `step` of a connect cut short by the end of the connect phase, not by its own timeout.
constexpr const char* kPhaseEnd = "connect phase end";

// epoll_pwait2 takes a nanosecond timeout, which the open loop's schedule needs; kernels before
// 5.11 lack it, and then the timeout is rounded up to milliseconds. Every worker thread asks,
// so what the first one learns is shared through an atomic.
std::atomic<bool> have_pwait2{true};

int wait_events(int epoll_fd, epoll_event* events, int max, std::int64_t timeout_ns) {
  if (have_pwait2.load(std::memory_order_relaxed)) {
    timespec ts{};
    timespec* tsp = nullptr;
    if (timeout_ns >= 0) {
      ts.tv_sec = timeout_ns / 1'000'000'000;
      ts.tv_nsec = timeout_ns % 1'000'000'000;
      tsp = &ts;
    }
    const int n = ::epoll_pwait2(epoll_fd, events, max, tsp, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    have_pwait2.store(false, std::memory_order_relaxed);
  }
  const int ms = timeout_ns < 0 ? -1 : static_cast<int>(std::min<std::int64_t>((timeout_ns + 999'999) / 1'000'000, 1 << 30));
  return ::epoll_wait(epoll_fd, events, max, ms);
}

}  // namespace

void Shared::set_fatal(const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fatal_.empty()) fatal_ = message;
  has_fatal_.store(true, std::memory_order_release);
}

std::string Shared::fatal() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fatal_;
}

Worker::Worker(WorkerConfig config, Shared& shared) : config_(std::move(config)), shared_(shared) {
  if (config_.connect_timeout_ns <= 0) throw std::invalid_argument("connect timeout must be above 0");
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw_errno("epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw_errno("eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) < 0) throw_errno("epoll_ctl ADD eventfd");

  // This worker's connections: numbers index, index+T, ...; numbers below `active` are active.
  const std::size_t total = config_.idle + config_.active;
  const std::size_t ring_initial = config_.mode == LoadMode::closed_loop ? config_.pipeline : 16;
  const std::size_t ring_cap = config_.mode == LoadMode::closed_loop ? config_.pipeline : kOpenLoopQueueCap;
  for (std::size_t k = config_.index; k < total; k += config_.workers) {
    Connection c;
    c.source = config_.sources.empty() ? 0 : static_cast<std::uint16_t>(k % config_.sources.size());
    if (k < config_.active) {
      c.role = Role::active;
      c.active = static_cast<std::uint32_t>(actives_.size());
      active_ids_.push_back(static_cast<std::uint32_t>(connections_.size()));
      actives_.emplace_back(ring_initial, ring_cap);
    }
    connections_.push_back(c);
  }
  if (config_.mode == LoadMode::open_loop && !actives_.empty()) {
    // This worker's share of the rate is its share of the active connections.
    const double share = config_.rate * static_cast<double>(actives_.size()) / static_cast<double>(config_.active);
    schedule_ = OpenLoopSchedule(share);
  }
  timers_ = TimerQueue(connections_.size());
  touched_.reserve(actives_.size());
  read_buffer_.resize(kReadBufferSize);
}

Worker::~Worker() {
  for (auto& c : connections_) close_fd(c);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void Worker::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void Worker::note_error(ErrorKind kind, const std::string& why, std::uint64_t count) {
  stats_.errors.add(kind, count);
  if (stats_.first_error.empty()) stats_.first_error = std::string(error_name(kind)) + ": " + why;
}

// ---- the loop ---------------------------------------------------------------------------

void Worker::run() {
  // The open loop's schedule wants wakeups on time, not up to 50 us late.
  if (config_.mode == LoadMode::open_loop) ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  std::vector<epoll_event> events(kMaxEvents);
  std::int64_t now = now_ns();
  while (!finished_) {
    const Phase phase = shared_.phase.load(std::memory_order_acquire);
    if (phase != phase_) on_phase(phase, now);
    if (phase_ == Phase::draining && (outstanding_ == 0 || now >= drain_deadline_ns_)) finish();
    if (finished_) break;
    if (phase_ == Phase::connecting) {
      if (!connect_phase_reported_ && now >= config_.connect_phase_end_ns) end_connect_phase(now);
      open_more(now);
      check_connect_phase_done();
    }
    const std::int64_t deadline = next_deadline();
    now = now_ns();
    const std::int64_t timeout = deadline == kNever ? -1 : std::max<std::int64_t>(0, deadline - now);
    const int n = wait_events(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0 && errno != EINTR) throw_errno("epoll_wait");
    now = now_ns();
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kWakeToken) {
        std::uint64_t count;
        [[maybe_unused]] ssize_t r = ::read(wake_fd_, &count, sizeof count);
        continue;
      }
      on_event(static_cast<std::uint32_t>(events[i].data.u64), events[i].events, now);
    }
    fire_timers(now);
    if (phase_ == Phase::running && config_.mode == LoadMode::open_loop) send_scheduled(now);
  }
}

std::int64_t Worker::next_deadline() const {
  std::int64_t deadline = timers_.next_deadline();
  if (phase_ == Phase::connecting && !connect_phase_reported_) deadline = std::min(deadline, config_.connect_phase_end_ns);
  if (phase_ == Phase::running && config_.mode == LoadMode::open_loop && !actives_.empty()) {
    deadline = std::min(deadline, schedule_.next_ns());
  }
  if (phase_ == Phase::draining) deadline = std::min(deadline, drain_deadline_ns_);
  return deadline;
}

void Worker::on_phase(Phase phase, std::int64_t now) {
  phase_ = phase;
  if (phase == Phase::running) {
    if (config_.mode == LoadMode::closed_loop) {
      for (std::uint32_t id : active_ids_) {
        if (connections_[id].state == ConnState::open) issue(id, config_.pipeline, now);
      }
      for (std::uint32_t id : active_ids_) flush(id);
    } else if (!actives_.empty()) {
      // Workers start a fraction of an interval apart, so their sends interleave.
      schedule_.start(shared_.run_start_ns.load(std::memory_order_acquire) +
                      static_cast<std::int64_t>(schedule_.interval_ns() * config_.index / config_.workers));
    }
    // Active connections that broke (or never opened) during the connect phase reopen now.
    for (std::uint32_t id : active_ids_) {
      Connection& c = connections_[id];
      if (c.state == ConnState::backoff) timers_.schedule(id, now);
    }
    return;
  }
  if (phase == Phase::draining) {
    // The run is over: these are the connections that were open for it.
    for (const auto& c : connections_) {
      if (c.state != ConnState::open) continue;
      (c.role == Role::idle ? stats_.open_idle : stats_.open_active)++;
    }
    // Connections not open now stay closed: connects still in flight (an interrupted connect
    // phase) are abandoned, broken active connections are not reopened to drain, and what
    // they had queued will never be answered.
    for (auto& c : connections_) {
      if (c.state == ConnState::open) continue;
      close_fd(c);
      c.state = ConnState::dead;
      if (c.role != Role::active) continue;
      ActiveState& a = actives_[c.active];
      if (!a.sent.empty()) {
        note_error(ErrorKind::timeout, "requests queued on a connection that was down when the run ended",
                   a.sent.size());
      }
      outstanding_ -= a.sent.size();
      a.sent.clear();
      a.unsent_bytes = 0;
    }
    timers_.clear();
    connecting_ = 0;
    drain_deadline_ns_ = now + config_.drain_timeout_ns;
  }
}

void Worker::finish() {
  // Requests that never got an answer: scheduled but unsent, or sent and unanswered.
  for (auto& a : actives_) {
    if (a.sent.empty()) continue;
    note_error(ErrorKind::timeout, std::to_string(a.sent.size()) + " request(s) unanswered when the drain ended",
               a.sent.size());
    a.sent.clear();
  }
  outstanding_ = 0;
  finished_ = true;
  shared_.workers_finished.fetch_add(1, std::memory_order_acq_rel);
}

// ---- opening connections ----------------------------------------------------------------

void Worker::open_more(std::int64_t now) {
  while (connecting_ < config_.connect_window && next_unopened_ < connections_.size() && !shared_.has_fatal()) {
    open(static_cast<std::uint32_t>(next_unopened_++), now);
  }
}

void Worker::check_connect_phase_done() {
  if (connect_phase_reported_ || connecting_ > 0) return;
  if (next_unopened_ < connections_.size() && !shared_.has_fatal()) return;
  connect_phase_reported_ = true;
  for (const auto& c : connections_) {
    if (c.state != ConnState::open) continue;
    (c.role == Role::idle ? connected_idle_ : connected_active_)++;
  }
  shared_.workers_connected.fetch_add(1, std::memory_order_acq_rel);
}

void Worker::open(std::uint32_t id, std::int64_t now) {
  Connection& c = connections_[id];
  const Endpoint* source = config_.sources.empty() ? nullptr : &config_.sources[c.source];
  const ConnectStart start = start_connect(config_.target, source, c.role == Role::active);
  if (start.fd < 0) {
    c.state = ConnState::connecting;  // so that the failure path treats it like any connect
    on_connect_failed(id, start.error, start.step, now);
    return;
  }
  c.fd = start.fd;
  c.state = ConnState::connecting;
  ++connecting_;
  timers_.schedule(id, now + config_.connect_timeout_ns);
  // A connect that finished at once still reports EPOLLOUT, so one path handles both.
  arm(c, id, true, EPOLL_CTL_ADD);
}

void Worker::arm(Connection& c, std::uint32_t id, bool want_write, int op) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (want_write ? EPOLLOUT : 0U);
  ev.data.u64 = id;
  if (::epoll_ctl(epoll_fd_, op, c.fd, &ev) < 0) throw_errno("epoll_ctl fd=" + std::to_string(c.fd));
  c.write_armed = want_write;
}

void Worker::fire_timers(std::int64_t now) {
  std::uint32_t id = 0;
  while (timers_.pop_due(now, &id)) {
    Connection& c = connections_[id];
    if (c.state == ConnState::connecting) {
      on_connect_failed(id, ETIMEDOUT, "connect", now);
    } else if (c.state == ConnState::backoff && phase_ == Phase::running) {
      // A reopen that fails at once schedules this id again, later: failures only grow, so
      // this loop ends.
      ++stats_.reconnects;
      open(id, now);
    }
  }
}

void Worker::end_connect_phase(std::int64_t now) {
  for (std::uint32_t id = 0; id < connections_.size(); ++id) {
    if (connections_[id].state == ConnState::connecting) on_connect_failed(id, ETIMEDOUT, kPhaseEnd, now);
  }
  if (next_unopened_ < connections_.size()) {
    const std::size_t left = connections_.size() - next_unopened_;
    note_error(ErrorKind::connect_timeout,
               std::to_string(left) + " connection(s) not even started when the connect phase reached its end "
               "(--duration)", left);
    for (; next_unopened_ < connections_.size(); ++next_unopened_) {
      Connection& c = connections_[next_unopened_];
      c.state = c.role == Role::active ? ConnState::backoff : ConnState::dead;
    }
  }
}

void Worker::back_off(std::uint32_t id, std::int64_t now) {
  Connection& c = connections_[id];
  c.state = ConnState::backoff;
  const std::int64_t delay = config_.backoff.delay_ns(c.failures);
  if (c.failures < std::numeric_limits<std::uint8_t>::max()) ++c.failures;
  if (phase_ == Phase::running) timers_.schedule(id, now + delay);  // else when the run starts
}

std::string Worker::describe_connect_error(int error, const char* step, const Connection& c) const {
  const std::string target = config_.target.text();
  const std::string from = config_.sources.empty() ? "" : " from " + config_.sources[c.source].text();
  switch (error) {
    case ECONNREFUSED:
      return "connection to " + target + " refused (ECONNREFUSED): nothing listens there; is the server running?";
    case EADDRNOTAVAIL:
      return std::string(step) + " to " + target + from +
             " failed: EADDRNOTAVAIL (no free ephemeral port for this source address, or the address is not "
             "local; see net.ipv4.ip_local_port_range, or spread over more addresses with --sources N)";
    case EMFILE: {
      const FdLimit limit = raise_fd_limit();
      return std::string(step) + " failed: EMFILE, too many open files: the per-process fd limit RLIMIT_NOFILE is " +
             std::to_string(limit.soft) + " (hard " + std::to_string(limit.hard) + ")";
    }
    case ENFILE:
      return std::string(step) + " failed: ENFILE, the system-wide file limit /proc/sys/fs/file-max is reached";
    case ETIMEDOUT: {
      if (step == kPhaseEnd) {
        return "connect to " + target + from + " had not completed when the connect phase reached its end (--duration)";
      }
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%g", static_cast<double>(config_.connect_timeout_ns) / 1e9);
      return "connect to " + target + from + " did not complete within " + seconds +
             " s (--connect-timeout, at most --duration)";
    }
    default:
      return std::string(step) + " to " + target + from + " failed: " + std::strerror(error);
  }
}

void Worker::on_connect_failed(std::uint32_t id, int error, const char* step, std::int64_t now) {
  Connection& c = connections_[id];
  if (c.state == ConnState::connecting && c.fd >= 0) --connecting_;
  timers_.cancel(id);
  close_fd(c);
  const std::string why = describe_connect_error(error, step, c);
  const ErrorKind kind = error == ECONNREFUSED ? ErrorKind::connect_refused
                         : error == ETIMEDOUT  ? ErrorKind::connect_timeout
                                               : ErrorKind::connect_failed;
  if (phase_ == Phase::connecting) {
    // The first connections fail for a reason the user must fix (nothing listening, no ports,
    // no fds): stop and say so. A timeout only costs that connection; it reopens in the run
    // if it is an active one.
    note_error(kind, why);
    if (error != ETIMEDOUT) shared_.set_fatal(why);
    if (c.role == Role::active) {
      back_off(id, now);
    } else {
      c.state = ConnState::dead;
    }
    return;
  }
  note_error(kind, why);
  if (c.role == Role::active && phase_ == Phase::running) {
    back_off(id, now);
  } else {
    c.state = ConnState::dead;
  }
}

void Worker::on_connected(std::uint32_t id, std::int64_t now) {
  Connection& c = connections_[id];
  --connecting_;
  timers_.cancel(id);
  c.state = ConnState::open;
  arm(c, id, false, EPOLL_CTL_MOD);
  if (phase_ == Phase::connecting) shared_.opened.fetch_add(1, std::memory_order_relaxed);
  if (c.role != Role::active) return;
  if (phase_ != Phase::running) return;
  const ActiveState& a = actives_[c.active];
  // A reopened connection: the closed loop starts its pipeline again; the open loop writes
  // whatever the schedule queued while it was down.
  if (config_.mode == LoadMode::closed_loop) issue(id, config_.pipeline - static_cast<unsigned>(a.sent.size()), now);
  flush(id);
}

// ---- events -----------------------------------------------------------------------------

void Worker::on_event(std::uint32_t id, std::uint32_t events, std::int64_t now) {
  Connection& c = connections_[id];
  if (c.state == ConnState::connecting) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
    const int error = connect_error(c.fd);
    if (error == 0 && (events & EPOLLOUT) != 0) {
      on_connected(id, now);
    } else {
      on_connect_failed(id, error != 0 ? error : ECONNREFUSED, "connect", now);
    }
    return;
  }
  if (c.state != ConnState::open) return;  // closed earlier in this batch
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    if (c.role == Role::idle) {
      on_idle_readable(id);
    } else {
      on_active_readable(id);
    }
  }
  if (c.state == ConnState::open && (events & EPOLLOUT) != 0) flush(id);
}

void Worker::on_idle_readable(std::uint32_t id) {
  Connection& c = connections_[id];
  const std::int64_t now = now_ns();
  for (;;) {
    const ssize_t n = ::recv(c.fd, read_buffer_.data(), read_buffer_.size(), 0);
    if (n > 0) {
      // An idle connection never asked for anything.
      stats_.bytes_read += static_cast<std::uint64_t>(n);
      note_error(ErrorKind::bad_response, std::to_string(n) + " unrequested bytes on an idle connection");
      continue;
    }
    if (n == 0) return break_connection(id, ErrorKind::closed, "the server closed an idle connection", now);
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) return break_connection(id, ErrorKind::reset, "an idle connection was reset", now);
    return break_connection(id, ErrorKind::io_error, std::string("recv: ") + std::strerror(errno), now);
  }
}

void Worker::on_active_readable(std::uint32_t id) {
  Connection& c = connections_[id];
  ActiveState& a = actives_[c.active];
  for (;;) {
    const ssize_t n = ::recv(c.fd, read_buffer_.data(), read_buffer_.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      const std::int64_t now = now_ns();
      if (errno == ECONNRESET) return break_connection(id, ErrorKind::reset, "connection reset by the server", now);
      return break_connection(id, ErrorKind::io_error, std::string("recv: ") + std::strerror(errno), now);
    }
    const std::int64_t now = now_ns();  // one timestamp for every answer in this read
    if (n == 0) {
      return break_connection(id, ErrorKind::closed,
                              "the server closed an active connection with " + std::to_string(a.sent.size()) +
                                  " request(s) unanswered",
                              now);
    }
    stats_.bytes_read += static_cast<std::uint64_t>(n);
    const auto size = static_cast<std::size_t>(n);
    std::size_t pos = 0;
    unsigned answered = 0;
    while (pos < size) {
      std::size_t used = 0;
      const auto result = a.parser.parse(read_buffer_.data() + pos, size - pos, &used);
      pos += used;
      if (result == ResponseParser::Result::need_more) break;
      if (result == ResponseParser::Result::error) {
        return break_connection(id, ErrorKind::bad_response, a.parser.error(), now);
      }
      if (a.sent.empty()) return break_connection(id, ErrorKind::bad_response, "an answer to no request", now);
      const std::int64_t sent = a.sent.pop();
      --outstanding_;
      const auto latency = static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - sent));
      stats_.latency_ns.record(latency);
      if (config_.keep_samples) stats_.samples.push_back(latency);
      ++stats_.requests;
      stats_.last_answer_ns = now;
      ++answered;
      if (a.parser.status() < 200 || a.parser.status() > 299) {
        note_error(ErrorKind::bad_status, "status " + std::to_string(a.parser.status()));
      }
    }
    if (answered > 0) c.failures = 0;  // the server answers: a later break reopens at once
    // Closed loop: replace every answered request at once, so a pipeline refills in one write.
    if (answered > 0 && phase_ == Phase::running && config_.mode == LoadMode::closed_loop) {
      issue(id, answered, now);
      flush(id);
      if (c.state != ConnState::open) return;
    }
    // A short read means the socket is (almost surely) empty; level-triggered epoll reports it
    // again if not, which saves a recv() that would only say EAGAIN.
    if (size < read_buffer_.size()) return;
  }
}

// ---- sending ----------------------------------------------------------------------------

void Worker::issue(std::uint32_t id, unsigned count, std::int64_t sent_ns) {
  Connection& c = connections_[id];
  ActiveState& a = actives_[c.active];
  for (unsigned i = 0; i < count; ++i) {
    if (!a.sent.push(sent_ns)) {
      note_error(ErrorKind::overload, std::to_string(a.sent.size()) + " requests already queued on one connection");
      return;
    }
    ++outstanding_;
    a.unsent_bytes += config_.request->request_size();
  }
}

void Worker::flush(std::uint32_t id) {
  Connection& c = connections_[id];
  if (c.state != ConnState::open) return;
  ActiveState& a = actives_[c.active];
  const std::size_t request_size = config_.request->request_size();
  while (a.unsent_bytes > 0) {
    const std::string_view bytes = config_.request->slice(a.offset, a.unsent_bytes);
    const ssize_t n = ::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      a.unsent_bytes -= static_cast<std::size_t>(n);
      a.offset = (a.offset + static_cast<std::size_t>(n)) % request_size;
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!c.write_armed) arm(c, id, true, EPOLL_CTL_MOD);
      return;
    }
    if (errno == EINTR) continue;
    const std::int64_t now = now_ns();
    if (errno == EPIPE || errno == ECONNRESET) return break_connection(id, ErrorKind::reset, "send: connection reset", now);
    return break_connection(id, ErrorKind::io_error, std::string("send: ") + std::strerror(errno), now);
  }
  if (c.write_armed) arm(c, id, false, EPOLL_CTL_MOD);
}

void Worker::send_scheduled(std::int64_t now) {
  if (actives_.empty()) return;
  touched_.clear();
  std::int64_t intended = 0;
  for (;;) {
    const std::uint64_t j = schedule_.taken();
    if (!schedule_.pop_due(now, &intended)) break;
    const std::uint32_t id = active_ids_[j % active_ids_.size()];
    if (actives_[connections_[id].active].unsent_bytes == 0) touched_.push_back(id);
    issue(id, 1, intended);  // latency counts from here, however late the send
  }
  for (std::uint32_t id : touched_) flush(id);
}

// ---- closing ----------------------------------------------------------------------------

void Worker::close_fd(Connection& c) {
  if (c.fd >= 0) ::close(c.fd);  // close() also takes it out of the epoll set
  c.fd = -1;
  c.write_armed = false;
}

void Worker::break_connection(std::uint32_t id, ErrorKind kind, const std::string& why, std::int64_t now) {
  Connection& c = connections_[id];
  note_error(kind, why);
  close_fd(c);
  if (c.role == Role::idle) {
    c.state = ConnState::dead;  // idle connections are not reopened: the count shows the loss
    return;
  }
  ActiveState& a = actives_[c.active];
  // Requests lost with the connection are covered by this error, not counted again as timeouts.
  outstanding_ -= a.sent.size();
  a.sent.clear();
  a.parser.reset();
  a.unsent_bytes = 0;
  a.offset = 0;
  if (phase_ == Phase::draining) {
    c.state = ConnState::dead;
    return;
  }
  // Reopen at once (the next loop turn) if the server answered on it since the last failure;
  // otherwise wait, longer each time (config_.backoff).
  back_off(id, now);
}

}  // namespace pollbench::loadgen
