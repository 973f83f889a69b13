#include "server_stats.h"

#include <nlohmann/json.hpp>

namespace pollbench {

std::string_view error_name(ServerError kind) {
  switch (kind) {
    case ServerError::malformed: return "malformed";
    case ServerError::oversized: return "oversized";
    case ServerError::unfinished: return "unfinished";
    case ServerError::fd_limit: return "fd_limit";
    case ServerError::evicted: return "evicted";
    case ServerError::header_timeout: return "header_timeout";
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

void ServerStats::add(const ServerStats& s) {
  waits += s.waits;
  empty_waits += s.empty_waits;
  events += s.events;
  requests += s.requests;
  accepted += s.accepted;
  closed += s.closed;
  reset_by_peer += s.reset_by_peer;
  idle_closed += s.idle_closed;
  accept_pauses += s.accept_pauses;
  memory_trims += s.memory_trims;
  bytes_in += s.bytes_in;
  bytes_out += s.bytes_out;
  for (std::size_t i = 0; i < kServerErrorKinds; ++i) errors[i] += s.errors[i];
  wait_ns.merge(s.wait_ns);
}

std::string stats_json(const ServerStats& s, std::string_view backend, std::string_view endpoint,
                       std::size_t open_connections) {
  using Json = nlohmann::ordered_json;  // keys in the order written
  const double events_per_wait = s.waits == 0 ? 0.0 : static_cast<double>(s.events) / static_cast<double>(s.waits);
  const Histogram& h = s.wait_ns;
  Json out;
  out["backend"] = backend;
  out["listening"] = endpoint;
  out["waits"] = s.waits;
  out["empty_waits"] = s.empty_waits;
  out["wait_ns"] = {{"p50", h.percentile(50)}, {"p90", h.percentile(90)},   {"p99", h.percentile(99)},
                    {"p999", h.percentile(99.9)}, {"max", h.max()}, {"mean", h.mean()}};
  out["events"] = s.events;
  out["events_per_wait"] = events_per_wait;
  out["requests"] = s.requests;
  out["connections"] = {{"accepted", s.accepted},
                        {"closed", s.closed},
                        {"reset_by_peer", s.reset_by_peer},
                        {"idle_closed", s.idle_closed},
                        {"open", open_connections},
                        {"accept_pauses", s.accept_pauses}};
  out["memory_trims"] = s.memory_trims;
  out["bytes"] = {{"in", s.bytes_in}, {"out", s.bytes_out}};
  Json errors = Json::object();
  for (std::size_t i = 0; i < kServerErrorKinds; ++i) errors[error_name(static_cast<ServerError>(i))] = s.errors[i];
  out["errors"] = std::move(errors);
  // A NaN or an infinity is written as null; `replace` keeps the output UTF-8 whatever the names hold.
  return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace pollbench
