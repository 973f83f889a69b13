// What the server counts while it runs, and the JSON pollserver prints at exit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "histogram.h"

namespace pollbench {

// Each kind of trouble a connection or the listener can run into.
enum class ServerError : std::uint8_t {
  malformed,   // a request the parser refuses: answered 400 (501 for Transfer-Encoding), closed
  oversized,   // request over the header or body limit: answered 431 / 413 and closed
  unfinished,  // the peer closed in the middle of a request
  fd_limit,    // accept hit the fd limit (EMFILE / ENFILE) with no room to make: the new
               // connection was accepted into the spare fd's slot and closed (shed)
  evicted,     // at the fd limit, the connection that had waited longest was closed for room
  header_timeout,  // part of a request, then nothing more for header_timeout: 408 and closed
  accept,      // accept failed otherwise
  io,          // any other read or write error
  poller,      // the poller refused to add or modify a connection
};
inline constexpr std::size_t kServerErrorKinds = 9;
std::string_view error_name(ServerError kind);

struct ServerStats {
  std::uint64_t waits = 0;
  std::uint64_t empty_waits = 0;  // waits that returned no event (timeout or signal)
  std::uint64_t events = 0;       // ready fds reported, summed over waits
  std::uint64_t requests = 0;     // requests answered 200
  std::uint64_t accepted = 0;
  std::uint64_t closed = 0;
  // Closed because the peer reset them (ECONNRESET, EPIPE). Not an error: wrk and loadgen end
  // that way when they stop with answers unread.
  std::uint64_t reset_by_peer = 0;
  std::uint64_t idle_closed = 0;    // closed by the idle timeout (not an error: it was asked for)
  std::uint64_t accept_pauses = 0;  // times a loop stopped accepting for kAcceptPause (fd limit)
  std::uint64_t memory_trims = 0;   // times freed memory went back to the system (malloc_trim)
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::array<std::uint64_t, kServerErrorKinds> errors{};
  Histogram wait_ns;  // how long each wait took, in nanoseconds

  void count(ServerError kind) { ++errors[static_cast<std::size_t>(kind)]; }
  std::uint64_t errors_of(ServerError kind) const { return errors[static_cast<std::size_t>(kind)]; }
  std::uint64_t total_errors() const;
  void reset() { *this = ServerStats{}; }
  // Adds another loop's counts (pollserver --threads prints their sum).
  void add(const ServerStats& other);
};

// One JSON object: backend, listening endpoint, waits, per-wait latency percentiles, events per
// wait, requests, connections accepted / closed / reset by the peer / open, bytes, errors by kind.
std::string stats_json(const ServerStats& stats, std::string_view backend, std::string_view endpoint,
                       std::size_t open_connections);

}  // namespace pollbench
