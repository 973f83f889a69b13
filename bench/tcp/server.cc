#include "server.h"

#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <stdexcept>
#include <string>

namespace pollbench {
namespace {

constexpr Token kListenerToken = ~Token{0};
constexpr Token kStopToken = ~Token{0} - 1;

std::size_t slot_of(Token token) { return static_cast<std::size_t>(token & 0xffffffffU); }
std::uint32_t generation_of(Token token) { return static_cast<std::uint32_t>(token >> 32); }

// Only line breaks left over: a client that ends its requests with an extra CR LF, not one
// that gave up halfway through a request.
bool only_line_breaks(const std::string& s) { return s.find_first_not_of("\r\n") == std::string::npos; }

// Buffers one gathering write takes: 64 answers of head + body, more than a small socket
// buffer holds when bodies are small.
constexpr std::size_t kMaxIovecs = 128;

// Heap bytes a string holds (a short one lives inside the object).
std::size_t heap_bytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() : 0; }

// Memory goes back to the system once the open connections fall to 1/kTrimLowWater of their
// peak, if that peak was at least kTrimPeak: glibc keeps the freed heap of an attack's
// thousand partial requests otherwise (tens of MiB). Not on the way down from every small
// peak: malloc_trim walks the whole heap.
constexpr std::size_t kTrimPeak = 256;
constexpr std::size_t kTrimLowWater = 8;

bool accept_failed_for_fds(int err) { return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM; }


}  // namespace

Server::Server(std::unique_ptr<Poller> poller, OwnedFd listener, ServerConfig config, ListenerWatch watch)
    : poller_(std::move(poller)),
      listener_(std::move(listener)),
      config_(config),
      responses_(config.body_size),
      edge_(poller_->trigger() == Poller::Trigger::edge),
      events_(config.events_capacity),
      read_buffer_(config.read_chunk == 0 ? 1 : config.read_chunk),
      reserve_(config.fd_reserve ? config.fd_reserve : std::make_shared<FdReserve>()) {
  config_.fd_reserve.reset();  // held in reserve_
  listener_watched_ = watch.fd >= 0 ? watch.fd : listener_.get();
  listener_exclusive_ = watch.exclusive;
  watch_listener();
}

void Server::watch_listener() {
  if (!listener_exclusive_) {
    poller_->add(listener_watched_, Interest::readable, kListenerToken);
  } else if (!poller_->add_exclusive(listener_watched_, kListenerToken)) {
    throw std::invalid_argument(std::string(poller_->name()) + " cannot wake one waiting thread only (EPOLLEXCLUSIVE is epoll's)");
  }
}

Server::~Server() {
  close_all();
  try {
    if (!accept_paused_) poller_->remove(listener_watched_);
    if (stop_fd_ >= 0) poller_->remove(stop_fd_);
  } catch (const std::exception&) {
    // Nothing left to do about it: the poller and the listener go away next.
  }
}

void Server::watch_stop_fd(int fd) {
  poller_->add(fd, Interest::readable, kStopToken);
  stop_fd_ = fd;
}

Server::Turn Server::turn(std::chrono::nanoseconds timeout) {
  const auto start = Clock::now();
  // With no timeout pending (no partial request, no idle timeout, accepting) this is the
  // caller's timeout unchanged: what the benchmark measures does not move.
  const std::chrono::nanoseconds deadline = until_next_deadline(start);
  if (deadline != kForever && (timeout == kForever || deadline < timeout)) timeout = deadline;
  const std::size_t ready = poller_->wait(events_, timeout);
  now_ = Clock::now();
  const auto waited = now_ - start;

  ++stats_.waits;
  stats_.events += ready;
  if (ready == 0) ++stats_.empty_waits;
  stats_.wait_ns.record(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count()));

  for (const Event& event : events_) handle(event);
  expire_waiting();
  if (accept_paused_ && now_ >= accept_resume_at_) resume_accepting();
  return Turn{ready, std::chrono::duration_cast<std::chrono::nanoseconds>(waited)};
}

void Server::handle(const Event& event) {
  if (event.token == kListenerToken) {
    accept_ready();
    return;
  }
  if (event.token == kStopToken) {
    stop_requested_ = true;
    return;
  }
  const std::size_t slot = slot_of(event.token);
  // A connection closed earlier in this turn (and perhaps its slot reused) is not this one.
  if (slot >= connections_.size() || !connections_[slot].fd ||
      connections_[slot].generation != generation_of(event.token)) {
    return;
  }
  // An error or hangup shows itself to the read (ECONNRESET, or 0 for EOF).
  service(slot, event.readable() || event.hangup() || event.error());
}

// --- accepting ----------------------------------------------------------------------------

// Drains the accept queue to EAGAIN on every backend: an edge-like backend would not report
// the rest, and loadgen opens thousands of connections at once, which the backlog must absorb.
void Server::accept_ready() {
  for (;;) {
    int fd = -1;
    int err = 0;
    if (reserve_->at_limit()) {  // at the fd limit: no accept between shedding and its refill
      const auto hold = reserve_->lock();
      fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      err = errno;
    } else {
      fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      err = errno;
    }
    if (fd >= 0) {
      ++stats_.accepted;
      add_connection(OwnedFd(fd));
      continue;
    }
    if (err == EAGAIN || err == EWOULDBLOCK) {
      // Drained with the spare in hand: below the limit again.
      if (reserve_->at_limit() && reserve_->has_spare()) reserve_->set_at_limit(false);
      return;
    }
    if (err == EINTR || err == ECONNABORTED) continue;  // ECONNABORTED: the peer gave up while queued
    if (accept_failed_for_fds(err)) {
      if (!accept_at_limit()) return;
      continue;
    }
    stats_.count(ServerError::accept);
    return;
  }
}

// Out of fds: a connection left in the accept queue would keep the listener ready forever (a
// busy loop with a level-triggered backend). Take it into the spare fd's slot, then make room
// for it by closing the connection that has waited longest, or else close it (shed).
bool Server::accept_at_limit() {
  reserve_->set_at_limit(true);
  const auto hold = reserve_->lock();
  int err = 0;
  const int fd = reserve_->accept_into_spare(listener_.get(), SOCK_NONBLOCK | SOCK_CLOEXEC, err);
  if (fd < 0) {
    const bool spare = reserve_->reopen_spare();
    if (err == EAGAIN || err == EWOULDBLOCK) return false;  // nothing was waiting
    if (err == EINTR || err == ECONNABORTED) return true;
    if (!spare || accept_failed_for_fds(err)) pause_accepting();  // no spare, or its slot was lost
    return false;
  }
  if (evict_longest_waiting_locked()) {
    reserve_->reopen_spare();  // into the slot just freed
    ++stats_.accepted;
    add_connection(OwnedFd(fd));
    return true;
  }
  ::close(fd);
  reserve_->reopen_spare();
  stats_.count(ServerError::fd_limit);
  return true;
}

// The connection at the head of either waiting list that has waited longer, if it has waited
// at least evict_after: a slow or silent crowd then cannot hold the whole table against
// clients that complete their requests.
bool Server::evict_longest_waiting_locked() {
  std::uint32_t oldest = kNoSlot;
  for (const SlotList* list : {&idle_, &partial_}) {
    if (list->head != kNoSlot && (oldest == kNoSlot || connections_[list->head].since < connections_[oldest].since)) {
      oldest = list->head;
    }
  }
  if (oldest == kNoSlot || now_ - connections_[oldest].since < config_.evict_after) return false;
  stats_.count(ServerError::evicted);
  // The reserve's lock is held: the slot is for the accept that follows, not for the spare
  // (close_connection would otherwise try to take the lock again to refill it).
  holding_reserve_lock_ = true;
  close_connection(oldest);
  holding_reserve_lock_ = false;
  return true;
}

// Neither room nor a spare (another loop's accept took the freed slot): stop watching the
// listener for kAcceptPause rather than be woken by it again and again.
void Server::pause_accepting() {
  if (accept_paused_) return;
  try {
    poller_->remove(listener_watched_);
  } catch (const std::exception&) {
    stats_.count(ServerError::poller);
    return;
  }
  accept_paused_ = true;
  accept_resume_at_ = now_ + kAcceptPause;
  ++stats_.accept_pauses;
}

void Server::resume_accepting() {
  reserve_->refill_if_missing();
  watch_listener();
  accept_paused_ = false;
  accept_ready();  // an edge-like watch reports only what arrives from now on
}

void Server::add_connection(OwnedFd fd) {
  // Answers go out as single writes, but pipelined ones follow each other before the peer's
  // ACK: without TCP_NODELAY, Nagle would hold them for the delayed ACK (40 ms).
  int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  std::size_t slot = 0;
  if (free_slots_.empty()) {
    slot = connections_.size();
    connections_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Connection& c = connections_[slot];
  try {
    poller_->add(fd.get(), Interest::readable, token_of(slot, c.generation));
  } catch (const std::exception&) {
    stats_.count(ServerError::poller);
    ++stats_.closed;  // fd closes as it goes out of scope
    free_slots_.push_back(slot);
    return;
  }
  c.fd = std::move(fd);
  c.interest = Interest::readable;
  link(slot, Waiting::idle);
  ++open_;
  peak_open_ = std::max(peak_open_, open_);
}

// --- waiting lists and timeouts -------------------------------------------------------------

void Server::link(std::size_t slot, Waiting waiting) {
  Connection& c = connections_[slot];
  SlotList& list = list_of(waiting);
  const auto index = static_cast<std::uint32_t>(slot);
  c.waiting = waiting;
  c.since = now_;
  c.prev = list.tail;
  c.next = kNoSlot;
  if (list.tail != kNoSlot) {
    connections_[list.tail].next = index;
  } else {
    list.head = index;
  }
  list.tail = index;
}

void Server::unlink(std::size_t slot) {
  Connection& c = connections_[slot];
  if (c.waiting == Waiting::none) return;
  SlotList& list = list_of(c.waiting);
  (c.prev != kNoSlot ? connections_[c.prev].next : list.head) = c.next;
  (c.next != kNoSlot ? connections_[c.next].prev : list.tail) = c.prev;
  c.prev = c.next = kNoSlot;
  c.waiting = Waiting::none;
}

// After servicing: a connection with part of a request in hand waits on `partial` from that
// request's first byte; any other waits on `idle` from its last complete request.
void Server::update_waiting(std::size_t slot) {
  Connection& c = connections_[slot];
  const bool partial = !c.input.empty() && !c.paused && !c.close_after_write && !c.peer_closed;
  const Waiting wanted = partial ? Waiting::partial : Waiting::idle;
  if (wanted != c.waiting || c.completed) {
    unlink(slot);
    link(slot, wanted);
  }
  c.completed = false;
}

void Server::expire_waiting() {
  const auto header_timeout = config_.header_timeout;
  while (header_timeout.count() > 0 && partial_.head != kNoSlot &&
         now_ - connections_[partial_.head].since >= header_timeout) {
    const std::size_t slot = partial_.head;
    stats_.count(ServerError::header_timeout);
    // 408 on its way out, if the socket takes it now; the connection does not wait for it.
    const http::Answer& answer = http::Responses::error(408);
    ::send(connections_[slot].fd.get(), answer.head.data(), answer.head.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    close_gracefully(slot);
  }
  const auto idle_timeout = config_.idle_timeout;
  while (idle_timeout.count() > 0 && idle_.head != kNoSlot && now_ - connections_[idle_.head].since >= idle_timeout) {
    ++stats_.idle_closed;
    close_connection(idle_.head);
  }
}

std::chrono::nanoseconds Server::until_next_deadline(Clock::time_point now) const {
  Clock::time_point next = Clock::time_point::max();
  if (config_.header_timeout.count() > 0 && partial_.head != kNoSlot) {
    next = std::min(next, connections_[partial_.head].since + config_.header_timeout);
  }
  if (config_.idle_timeout.count() > 0 && idle_.head != kNoSlot) {
    next = std::min(next, connections_[idle_.head].since + config_.idle_timeout);
  }
  if (accept_paused_) next = std::min(next, accept_resume_at_);
  if (next == Clock::time_point::max()) return kForever;
  return std::max(std::chrono::nanoseconds(0), std::chrono::duration_cast<std::chrono::nanoseconds>(next - now));
}

void Server::trim_memory_if_low() {
  if (peak_open_ < kTrimPeak || open_ > peak_open_ / kTrimLowWater) return;
  ::malloc_trim(0);
  peak_open_ = open_;
  ++stats_.memory_trims;
}

// --- one connection -----------------------------------------------------------------------

std::size_t Server::Connection::memory() const { return heap_bytes(input) + output.capacity() * sizeof(QueuedRun); }

// Over the high mark: parse and read nothing more from this peer until its answers drain.
bool Server::over_mark(const Connection& c) const {
  return c.unsent > config_.max_pending_output || c.output.size() - c.output_head >= kMaxQueuedRuns;
}

void Server::service(std::size_t slot, bool readable) {
  Connection& c = connections_[slot];  // stays valid: nothing here adds connections
  for (;;) {
    if (readable && !read_available(slot)) return;
    if (!write_pending(slot)) return;
    // Drained to the low mark: parse the requests left waiting, then read what the peer sent
    // meanwhile (an edge-like backend will not report it again), then write again.
    if (c.paused && c.unsent <= config_.max_pending_output / 2 &&
        c.output.size() - c.output_head <= kMaxQueuedRuns / 2) {
      c.paused = false;
      parse_buffered(slot);
      readable = !c.paused;
      continue;
    }
    break;
  }
  settle(slot);
}

bool Server::read_available(std::size_t slot) {
  Connection& c = connections_[slot];
  // Level-triggered: one read, the next wait reports the rest. Edge-like: read to EAGAIN.
  for (int reads = 0; edge_ || reads < 1; ++reads) {
    if (c.peer_closed || c.close_after_write || c.paused) break;
    const ssize_t n = ::recv(c.fd.get(), read_buffer_.data(), read_buffer_.size(), 0);
    if (n > 0) {
      stats_.bytes_in += static_cast<std::uint64_t>(n);
      consume(slot, std::string_view(read_buffer_.data(), static_cast<std::size_t>(n)));
      continue;
    }
    if (n == 0) {
      c.peer_closed = true;
      if (!only_line_breaks(c.input)) stats_.count(ServerError::unfinished);
      std::string().swap(c.input);
      c.progress = {};
      break;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == EINTR) {
      --reads;
      continue;
    }
    count_io_error(errno);
    close_connection(slot);
    return false;
  }
  return true;
}

// Answers the complete requests in what has arrived, until the peer is over the mark; keeps
// the rest (a partial request, or requests not parsed yet) for later.
void Server::consume(std::size_t slot, std::string_view data) {
  Connection& c = connections_[slot];
  // Most reads hold whole requests: parse them where they are, copy only what is left.
  const bool buffered = !c.input.empty();
  if (buffered) c.input.append(data);
  const std::string_view pending = buffered ? std::string_view(c.input) : data;
  const std::size_t used = answer_requests(c, pending);
  if (c.close_after_write) {
    std::string().swap(c.input);  // nothing after the last answer will be read
  } else if (buffered) {
    c.input.erase(0, used);
  } else {
    c.input.assign(pending.substr(used));
  }
  if (c.input.empty()) std::string().swap(c.input);  // an idle connection holds no buffer
}

void Server::parse_buffered(std::size_t slot) {
  Connection& c = connections_[slot];
  if (c.input.empty() || c.close_after_write) return;
  const std::size_t used = answer_requests(c, c.input);
  if (c.close_after_write) {
    std::string().swap(c.input);
  } else {
    c.input.erase(0, used);
  }
  if (c.input.empty()) std::string().swap(c.input);
}

std::size_t Server::answer_requests(Connection& c, std::string_view pending) {
  std::size_t used = 0;
  while (!c.close_after_write && !c.paused) {
    const http::ParseResult request = http::parse_request(pending.substr(used), config_.limits, c.progress);
    if (request.outcome == http::Parse::incomplete) {
      if (request.send_continue) queue(c, http::Responses::continue_interim());
      break;
    }
    c.progress = {};
    if (request.outcome == http::Parse::complete) {
      ++stats_.requests;
      c.completed = true;
      queue(c, responses_.ok(request.keep_alive, request.http10, request.head_only));
      used += request.length;
      if (!request.keep_alive) c.close_after_write = true;
    } else {
      stats_.count(request.outcome == http::Parse::malformed ? ServerError::malformed : ServerError::oversized);
      queue(c, http::Responses::error(request.status));
      c.close_after_write = true;
    }
    if (over_mark(c)) c.paused = true;
  }
  return used;
}

void Server::queue(Connection& c, const http::Answer& answer) {
  c.unsent += answer.size();
  if (c.output.size() > c.output_head && c.output.back().answer == &answer) {
    ++c.output.back().count;
    return;
  }
  // Reuse the room of runs already sent before growing.
  if (c.output_head > 0 && c.output.size() == c.output.capacity()) {
    c.output.erase(c.output.begin(), c.output.begin() + static_cast<std::ptrdiff_t>(c.output_head));
    c.output_head = 0;
  }
  c.output.push_back(QueuedRun{&answer, 1});
}

bool Server::write_pending(std::size_t slot) {
  Connection& c = connections_[slot];
  while (c.unsent > 0) {
    // Gather from the queue: the head run's first copy from output_offset, then whole copies.
    iovec iov[kMaxIovecs];
    std::size_t count = 0;
    std::size_t skip = c.output_offset;
    for (std::size_t r = c.output_head; r < c.output.size() && count < kMaxIovecs; ++r) {
      const QueuedRun& run = c.output[r];
      for (std::size_t copy = 0; copy < run.count && count < kMaxIovecs; ++copy) {
        for (const std::string_view part : {run.answer->head, run.answer->body}) {
          if (skip >= part.size()) {
            skip -= part.size();
            continue;
          }
          if (count == kMaxIovecs) break;
          iov[count++] = iovec{const_cast<char*>(part.data() + skip), part.size() - skip};
          skip = 0;
        }
      }
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    const ssize_t n = ::sendmsg(c.fd.get(), &message, MSG_NOSIGNAL);
    if (n >= 0) {
      stats_.bytes_out += static_cast<std::uint64_t>(n);
      c.unsent -= static_cast<std::size_t>(n);
      // Retire the copies wholly sent.
      c.output_offset += static_cast<std::size_t>(n);
      while (c.output_head < c.output.size() && c.output_offset >= c.output[c.output_head].answer->size()) {
        c.output_offset -= c.output[c.output_head].answer->size();
        if (--c.output[c.output_head].count == 0) ++c.output_head;
      }
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;  // settle() asks for writable
    if (errno == EINTR) continue;
    count_io_error(errno);
    close_connection(slot);
    return false;
  }
  c.output.clear();
  c.output_head = 0;
  c.output_offset = 0;
  return true;
}

// After reading and writing: close when done, else watch for what the connection needs next.
void Server::settle(std::size_t slot) {
  Connection& c = connections_[slot];
  const bool output_pending = c.unsent > 0;
  if (!output_pending && c.close_after_write) {
    close_gracefully(slot);
    return;
  }
  if (!output_pending && c.peer_closed) {
    close_connection(slot);
    return;
  }
  // A peer that sent EOF stays readable forever: a level-triggered backend would report it on
  // every wait, so stop asking once it is seen.
  const bool want_read = !c.peer_closed && !c.close_after_write && !c.paused;
  Interest wanted = Interest::readable;
  if (want_read && output_pending) wanted = Interest::both;
  if (!want_read && output_pending) wanted = Interest::writable;
  update_waiting(slot);
  if (wanted == c.interest) return;
  try {
    poller_->modify(c.fd.get(), wanted, token_of(slot, c.generation));
    c.interest = wanted;
  } catch (const std::exception&) {
    stats_.count(ServerError::poller);
    close_connection(slot);
  }
}

// After an error answer: send FIN behind it and discard what the peer already sent, so that
// closing does not become a reset that could destroy the answer before the peer reads it.
void Server::close_gracefully(std::size_t slot) {
  const int fd = connections_[slot].fd.get();
  ::shutdown(fd, SHUT_WR);
  for (int i = 0; i < 16 && ::recv(fd, read_buffer_.data(), read_buffer_.size(), 0) > 0; ++i) {
  }
  close_connection(slot);
}

void Server::close_connection(std::size_t slot) {
  Connection& c = connections_[slot];
  try {
    poller_->remove(c.fd.get());
  } catch (const std::exception&) {
    stats_.count(ServerError::poller);  // closing it below drops it from every backend anyway
  }
  unlink(slot);
  c.completed = false;
  c.fd.reset();
  ++c.generation;
  c.interest = Interest::readable;
  c.peer_closed = c.close_after_write = c.paused = false;
  std::string().swap(c.input);  // give the memory back: an idle slot holds none
  c.progress = {};
  std::vector<QueuedRun>().swap(c.output);
  c.output_head = c.output_offset = c.unsent = 0;
  free_slots_.push_back(slot);
  --open_;
  ++stats_.closed;
  if (!holding_reserve_lock_) reserve_->refill_if_missing();
  trim_memory_if_low();
}

void Server::close_all() {
  for (std::size_t slot = 0; slot < connections_.size(); ++slot) {
    if (connections_[slot].fd) close_connection(slot);
  }
}

Server::MemoryUse Server::connection_memory() const {
  MemoryUse use;
  for (const Connection& c : connections_) {
    const std::size_t bytes = c.memory();
    use.total += bytes;
    use.largest = std::max(use.largest, bytes);
  }
  return use;
}

std::size_t Server::connection_memory_bound() const {
  // Before a read, input holds at most a partial request: a head under the limit, or a head
  // and part of its body (requests left unparsed while paused are only ever parsed, never
  // added to). A read adds at most read_chunk.
  const std::size_t input = config_.limits.max_header_bytes + config_.limits.max_body_bytes + read_buffer_.size();
  return 2 * input + kMaxQueuedRuns * sizeof(QueuedRun);
}

void Server::count_io_error(int err) {
  if (err == ECONNRESET || err == EPIPE) {
    ++stats_.reset_by_peer;
  } else {
    stats_.count(ServerError::io);
  }
}

}  // namespace pollbench
