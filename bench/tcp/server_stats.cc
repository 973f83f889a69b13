#include "server_stats.h"

#include "json.h"

#include <cstdio>

namespace pollbench {

std::string_view error_name(ServerError kind) {
  switch (kind) {
    case ServerError::malformed: return "malformed";
    case ServerError::oversized: return "oversized";
    case ServerError::unfinished: return "unfinished";
    case ServerError::fd_limit: return "fd_limit";
    case ServerError::accept: return "accept";
    case ServerError::io: return "io";
    case ServerError::poller: return "poller";
  }
  return "unknown";
}

std::uint64_t ServerStats::total_errors() const {
  std::uint64_t total = 0;
  for (std::uint64_t n : errors) total += n;
  return total;
}

namespace {

std::string number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", value);
  return buf;
}

}  // namespace

std::string stats_json(const ServerStats& s, std::string_view backend, std::string_view endpoint,
                       std::size_t open_connections) {
  const double events_per_wait = s.waits == 0 ? 0.0 : static_cast<double>(s.events) / static_cast<double>(s.waits);
  const Histogram& h = s.wait_ns;
  std::string out = "{\n";
  out += "  \"backend\": " + json_quote(backend) + ",\n";
  out += "  \"listening\": " + json_quote(endpoint) + ",\n";
  out += "  \"waits\": " + std::to_string(s.waits) + ",\n";
  out += "  \"empty_waits\": " + std::to_string(s.empty_waits) + ",\n";
  out += "  \"wait_ns\": {\"p50\": " + std::to_string(h.percentile(50)) +
         ", \"p90\": " + std::to_string(h.percentile(90)) + ", \"p99\": " + std::to_string(h.percentile(99)) +
         ", \"p999\": " + std::to_string(h.percentile(99.9)) + ", \"max\": " + std::to_string(h.max()) +
         ", \"mean\": " + number(h.mean()) + "},\n";
  out += "  \"events\": " + std::to_string(s.events) + ",\n";
  out += "  \"events_per_wait\": " + number(events_per_wait) + ",\n";
  out += "  \"requests\": " + std::to_string(s.requests) + ",\n";
  out += "  \"connections\": {\"accepted\": " + std::to_string(s.accepted) +
         ", \"closed\": " + std::to_string(s.closed) +
         ", \"reset_by_peer\": " + std::to_string(s.reset_by_peer) + ", \"open\": " + std::to_string(open_connections) + "},\n";
  out += "  \"bytes\": {\"in\": " + std::to_string(s.bytes_in) + ", \"out\": " + std::to_string(s.bytes_out) + "},\n";
  out += "  \"errors\": {";
  for (std::size_t i = 0; i < kServerErrorKinds; ++i) {
    if (i != 0) out += ", ";
    out += json_quote(error_name(static_cast<ServerError>(i))) + ": " + std::to_string(s.errors[i]);
  }
  out += "}\n}\n";
  return out;
}

}  // namespace pollbench
