// The HTTP keep-alive server's event loop over any pollbench::Poller.
//
// One turn = one wait plus handling every connection it reported ready. The loop is the same
// for every backend; the only thing it asks a backend is trigger(): with an edge-like backend
// (epoll_et, io_uring) a ready fd is reported once, so the server drains accept and read to
// EAGAIN before it waits again. With a level-triggered one it reads once per report and lets
// the next wait report what is left, which is fairer to many busy connections.
//
// Connections never stall each other: a request that is still arriving (idle connections that
// never finish one) just waits in its connection's buffer, and is parsed where the last read
// left it; a peer that does not read its answers gets them queued, by reference to the canned
// answers, and once its unsent bytes pass a mark the server stops parsing its requests and
// reading from it until they drain (backpressure), watching for writable instead. So one
// connection's memory is bounded whatever the body size and the pipelining depth
// (connection_memory_bound()). Every fd the server opens it closes: on
// the peer's close, reset or error, after an error answer, and in the destructor.
//
// Room for new clients (docs/tcp.md, "Timeouts and the fd limit"). Every open connection is
// on one of two lists, each in the order its connections started waiting, so that every
// timeout and every choice below costs O(1) per event, never a scan:
//   - partial: part of a request has arrived, the rest has not. Past header_timeout (from the
//     request's first byte; more bytes do not reset it) it gets 408 and is closed.
//   - idle: the rest (no request under way, or answers still going out), since its last
//     complete request or its accept. Past idle_timeout, when set, it is closed.
// At the fd limit, the loop makes room by closing the connection at the head of either list
// that has waited longest (at least evict_after), then accepts the new one; with none that
// old, the new connection is shed through the process's spare fd (fd_reserve.h), and a loop
// that cannot even do that stops accepting for kAcceptPause rather than spin.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fd.h"
#include "fd_reserve.h"
#include "http.h"
#include "poller.h"
#include "server_stats.h"

namespace pollbench {

struct ServerConfig {
  std::size_t body_size = 64;                // bytes of the 200 OK body
  http::Limits limits;                       // request header and body limits
  std::size_t events_capacity = 1024;        // ready fds one wait may report
  std::size_t read_chunk = 64 * 1024;        // bytes one read asks for
  std::size_t max_pending_output = 256 * 1024;  // stop parsing and reading a peer with more unsent
  // Close a connection whose request has been arriving for this long (0: never).
  std::chrono::milliseconds header_timeout{10'000};
  // Close a connection that has sent no request for this long (0: never, the default: the
  // benchmark's idle crowd must stay).
  std::chrono::milliseconds idle_timeout{0};
  // At the fd limit, only a connection waiting at least this long is closed to make room.
  std::chrono::milliseconds evict_after{1'000};
  // The spare fd every loop of the process shares (fd_reserve.h); null: this server's own.
  std::shared_ptr<FdReserve> fd_reserve;
};

// Answers queued for one connection are runs of the same canned answer; past this many runs the
// server stops parsing that peer's requests too, so the queue's size is bounded by a count as
// well as by max_pending_output (runs only differ when a peer alternates kinds of request).
inline constexpr std::size_t kMaxQueuedRuns = 64;

// How a server watches its listener when other threads' servers share it (accept_mode.h).
struct ListenerWatch {
  int fd = -1;             // what the poller watches in the listener's place (not owned), e.g. an
                           // epoll instance that holds the listener; -1: the listener itself
  bool exclusive = false;  // registered with Poller::add_exclusive (EPOLLEXCLUSIVE)
};

class Server {
 public:
  // Takes the poller and a listening socket (listen_tcp); adds the listener to the poller, or
  // what `watch` names. Throws std::invalid_argument when the poller cannot watch exclusively.
  Server(std::unique_ptr<Poller> poller, OwnedFd listener, ServerConfig config = {}, ListenerWatch watch = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  struct Turn {
    std::size_t events = 0;          // ready fds the wait reported
    std::chrono::nanoseconds waited{};  // how long the wait itself took
  };
  // Waits (up to `timeout`; kForever blocks) and handles everything reported.
  Turn turn(std::chrono::nanoseconds timeout);

  // Watches `fd` (not owned) for readable; once it is, stop_requested() is true. pollserver
  // hands it a signalfd for SIGINT and SIGTERM, so a signal cannot slip in before a wait.
  void watch_stop_fd(int fd);
  bool stop_requested() const { return stop_requested_; }

  std::size_t open_connections() const { return open_; }
  const ServerStats& stats() const { return stats_; }
  void reset_stats() { stats_.reset(); }
  const Poller& poller() const { return *poller_; }
  int listener_fd() const { return listener_.get(); }

  // Closes every connection now (the listener stays open).
  void close_all();

  // Heap bytes the connections' buffers hold now: all of them, and the largest one's.
  struct MemoryUse {
    std::size_t total = 0;
    std::size_t largest = 0;
  };
  MemoryUse connection_memory() const;
  // What one connection can hold at most, from the configuration: its partial request plus one
  // read (a string grows to at most twice what it holds) and its queue of answers. Answers
  // are shared, not copied, so the body size does not enter it.
  std::size_t connection_memory_bound() const;

 private:
  // `count` copies of one canned answer, queued.
  struct QueuedRun {
    const http::Answer* answer;
    std::size_t count;
  };

  // Which waiting list a connection is on (see the top of this file).
  enum class Waiting : std::uint8_t { none, idle, partial };
  static constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};
  struct SlotList {
    std::uint32_t head = kNoSlot;
    std::uint32_t tail = kNoSlot;
  };
  using Clock = std::chrono::steady_clock;

  struct Connection {
    OwnedFd fd;
    Waiting waiting = Waiting::none;
    bool completed = false;           // a request completed since the last settle()
    std::uint32_t prev = kNoSlot;     // neighbours on its waiting list
    std::uint32_t next = kNoSlot;
    Clock::time_point since{};        // when it started waiting on that list
    std::uint32_t generation = 0;  // bumped when the slot is freed, so stale tokens miss
    Interest interest = Interest::readable;
    bool peer_closed = false;         // read returned 0: the peer sends no more
    bool close_after_write = false;   // answered with an error or Connection: close
    bool paused = false;              // too much unsent: parse and read nothing more for now
    std::string input;                // received, not yet answered: a partial request, or
                                      // requests left unparsed while paused
    http::ParseProgress progress;     // how far the partial request at input's start is parsed
    std::vector<QueuedRun> output;    // answers not yet sent, from output_head on
    std::size_t output_head = 0;      // first run not wholly sent
    std::size_t output_offset = 0;    // bytes of the head run's first copy already sent
    std::size_t unsent = 0;           // bytes queued and not yet sent

    std::size_t memory() const;
  };

  void accept_ready();
  // Out of fds: make room or shed one; false when the loop should stop accepting for now.
  bool accept_at_limit();
  bool evict_longest_waiting_locked();  // with the reserve's lock held
  void pause_accepting();
  void resume_accepting();
  void watch_listener();
  // The waiting lists: put `slot` at the tail of the one it belongs on, or take it off.
  SlotList& list_of(Waiting waiting) { return waiting == Waiting::partial ? partial_ : idle_; }
  void link(std::size_t slot, Waiting waiting);
  void unlink(std::size_t slot);
  void update_waiting(std::size_t slot);
  // Closes what has waited past its timeout; when the next wait must end to do that again.
  void expire_waiting();
  std::chrono::nanoseconds until_next_deadline(Clock::time_point now) const;
  void trim_memory_if_low();
  void add_connection(OwnedFd fd);
  void handle(const Event& event);
  // Reads (when `readable`) and writes what one connection can, then settles its interest.
  void service(std::size_t slot, bool readable);
  // These return false when they closed the connection.
  bool read_available(std::size_t slot);
  bool write_pending(std::size_t slot);
  void consume(std::size_t slot, std::string_view data);
  // Parses what `input` holds (after a pause); false when it closed the connection.
  void parse_buffered(std::size_t slot);
  // Answers every complete request in `pending`; returns the bytes used.
  std::size_t answer_requests(Connection& c, std::string_view pending);
  void queue(Connection& c, const http::Answer& answer);
  bool over_mark(const Connection& c) const;
  void settle(std::size_t slot);
  void close_connection(std::size_t slot);
  void close_gracefully(std::size_t slot);
  void count_io_error(int err);

  static Token token_of(std::size_t slot, std::uint32_t generation) {
    return (std::uint64_t{generation} << 32) | slot;
  }

  std::unique_ptr<Poller> poller_;
  OwnedFd listener_;
  int listener_watched_ = -1;  // the fd registered for the listener (see ListenerWatch)
  ServerConfig config_;
  http::Responses responses_;
  bool edge_;
  Events events_;
  std::vector<char> read_buffer_;
  std::vector<Connection> connections_;  // slots; a free slot has no fd
  std::vector<std::size_t> free_slots_;
  std::size_t open_ = 0;
  std::size_t peak_open_ = 0;  // since memory was last given back (trim_memory_if_low)
  std::shared_ptr<FdReserve> reserve_;
  bool listener_exclusive_ = false;
  bool accept_paused_ = false;
  bool holding_reserve_lock_ = false;
  Clock::time_point accept_resume_at_{};
  SlotList idle_;
  SlotList partial_;
  Clock::time_point now_ = Clock::now();  // when the last wait returned
  int stop_fd_ = -1;
  bool stop_requested_ = false;
  ServerStats stats_;
};

}  // namespace pollbench
