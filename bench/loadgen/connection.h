// One client connection's state, and the socket calls that open one. A connection is `idle`
// (connect, then silence) or `active` (sends requests; its extra state lives in ActiveState so
// that a million idle connections stay small).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "endpoint.h"
#include "http_response.h"

namespace pollbench::loadgen {

enum class Role : std::uint8_t { idle, active };

enum class ConnState : std::uint8_t {
  unopened,    // not started yet (the connect phase opens a window at a time)
  connecting,  // non-blocking connect in flight; waits for EPOLLOUT or its timer
  open,
  backoff,     // active, broken: reopens when its timer says (Worker's TimerQueue)
  dead,        // closed for good
};

struct Connection {
  int fd = -1;
  Role role = Role::idle;
  ConnState state = ConnState::unopened;
  bool write_armed = false;      // EPOLLOUT is in the interest set
  std::uint8_t failures = 0;      // active: attempts in a row that ended without an answer
  std::uint16_t source = 0;      // index into the source addresses
  std::uint32_t active = 0;      // index into the worker's ActiveState (role active only)
};

// The send times of requests issued and not yet answered, oldest first. A ring that grows by
// doubling up to a cap, so steady state never allocates.
class TimeRing {
 public:
  TimeRing(std::size_t initial, std::size_t cap);
  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  bool full() const { return count_ == cap_; }
  // False when at the cap.
  bool push(std::int64_t t);
  std::int64_t pop();
  void clear() { head_ = count_ = 0; }

 private:
  std::vector<std::int64_t> slots_;  // size is a power of two
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t cap_;
};

struct ActiveState {
  ActiveState(std::size_t ring_initial, std::size_t ring_cap) : sent(ring_initial, ring_cap) {}
  ResponseParser parser;
  TimeRing sent;                     // issued, unanswered (their intended send times)
  std::size_t unsent_bytes = 0;      // issued request bytes not yet written
  std::size_t offset = 0;            // where in one request the next unsent byte is
};

// `copies` back-to-back copies of one request, so a batch of identical requests (a pipeline, a
// backlog) is written with one send() from a slice of this buffer.
class RequestBytes {
 public:
  RequestBytes(std::string request, std::size_t copies);
  std::size_t request_size() const { return request_size_; }
  // Up to `want` bytes of the request stream starting `offset` bytes into a request.
  std::string_view slice(std::size_t offset, std::size_t want) const;

 private:
  std::string bytes_;
  std::size_t request_size_;
};

// "GET <path> HTTP/1.1\r\nHost: <target>\r\n\r\n".
std::string make_request(const std::string& path, const Endpoint& target);

// Starts a non-blocking connect from `source` (nullptr: the kernel chooses) to `target`.
// The source port is left to connect() (IP_BIND_ADDRESS_NO_PORT), which may reuse a port
// towards other destinations: one source address then serves a whole port range per target.
struct ConnectStart {
  int fd = -1;             // -1 on failure
  bool in_progress = false;
  int error = 0;           // errno on failure
  const char* step = "";   // which call failed
};
ConnectStart start_connect(const Endpoint& target, const Endpoint* source, bool nodelay);
// The result of a finished non-blocking connect (SO_ERROR): 0 or an errno.
int connect_error(int fd);

// CLOCK_MONOTONIC in nanoseconds.
std::int64_t now_ns();

}  // namespace pollbench::loadgen
