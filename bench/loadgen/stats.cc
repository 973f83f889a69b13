#include "stats.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace pollbench::loadgen {

const char* error_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::connect_refused: return "connect_refused";
    case ErrorKind::connect_timeout: return "connect_timeout";
    case ErrorKind::connect_failed: return "connect_failed";
    case ErrorKind::reset: return "reset";
    case ErrorKind::closed: return "closed";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::bad_response: return "bad_response";
    case ErrorKind::bad_status: return "bad_status";
    case ErrorKind::overload: return "overload";
    case ErrorKind::io_error: return "io_error";
    case ErrorKind::count_: break;
  }
  return "unknown";
}

std::uint64_t ErrorCounts::total() const {
  std::uint64_t sum = 0;
  for (auto c : counts) sum += c;
  return sum;
}

void ErrorCounts::merge(const ErrorCounts& other) {
  for (std::size_t i = 0; i < kErrorKinds; ++i) counts[i] += other.counts[i];
}

void WorkerStats::merge(const WorkerStats& other) {
  requests += other.requests;
  bytes_read += other.bytes_read;
  reconnects += other.reconnects;
  latency_ns.merge(other.latency_ns);
  errors.merge(other.errors);
  open_idle += other.open_idle;
  open_active += other.open_active;
  last_answer_ns = std::max(last_answer_ns, other.last_answer_ns);
  if (first_error.empty()) first_error = other.first_error;
}

std::string to_json(const RunInfo& info, const WorkerStats& stats) {
  using Json = nlohmann::ordered_json;  // keys in the order written
  const Histogram& h = stats.latency_ns;
  const double rps = info.duration_s > 0 ? static_cast<double>(stats.requests) / info.duration_s : 0.0;
  const bool closed_loop = info.mode == "closed_loop";
  Json out;
  out["target"] = info.target;
  out["mode"] = info.mode;
  out["pipeline"] = closed_loop ? Json(info.pipeline) : Json(nullptr);
  out["rate"] = closed_loop ? Json(nullptr) : Json(info.rate);
  out["latency_from"] = info.latency_from;
  out["threads"] = info.threads;
  out["sources"] = info.sources;
  out["connections"] = {{"idle", stats.open_idle},
                        {"active", stats.open_active},
                        {"requested_idle", info.requested_idle},
                        {"requested_active", info.requested_active}};
  out["connect_s"] = info.connect_s;
  out["duration_s"] = info.duration_s;
  out["requests"] = stats.requests;
  out["requests_per_sec"] = rps;
  out["bytes_read"] = stats.bytes_read;
  out["latency_ns"] = {{"p50", h.percentile(50)}, {"p90", h.percentile(90)}, {"p99", h.percentile(99)},
                       {"p999", h.percentile(99.9)}, {"max", h.max()}, {"min", h.min()}, {"mean", h.mean()}};
  Json errors = Json::object();
  for (std::size_t i = 0; i < kErrorKinds; ++i) errors[error_name(static_cast<ErrorKind>(i))] = stats.errors.counts[i];
  out["errors"] = std::move(errors);
  out["errors_total"] = stats.errors.total();
  out["first_error"] = stats.first_error.empty() ? Json(nullptr) : Json(stats.first_error);
  out["reconnects"] = stats.reconnects;
  out["interrupted"] = info.interrupted;
  // first_error quotes the server's bytes, which need not be UTF-8: `replace` writes U+FFFD
  // for each bad byte instead of throwing. A NaN or an infinity is written as null.
  return out.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace pollbench::loadgen
