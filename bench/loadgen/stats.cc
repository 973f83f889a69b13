#include "stats.h"

#include "json.h"

#include <algorithm>
#include <cstdio>

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

namespace {


std::string json_number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

}  // namespace

std::string to_json(const RunInfo& info, const WorkerStats& stats) {
  const Histogram& h = stats.latency_ns;
  const double rps = info.duration_s > 0 ? static_cast<double>(stats.requests) / info.duration_s : 0.0;
  std::string out = "{\n";
  auto key = [&out](const char* name, const std::string& value, bool last = false) {
    out += "  \"";
    out += name;
    out += "\": ";
    out += value;
    out += last ? "\n" : ",\n";
  };
  key("target", json_quote(info.target));
  key("mode", json_quote(info.mode));
  key("pipeline", info.mode == "closed_loop" ? std::to_string(info.pipeline) : "null");
  key("rate", info.mode == "open_loop" ? json_number(info.rate) : "null");
  key("latency_from", json_quote(info.latency_from));
  key("threads", std::to_string(info.threads));
  std::string sources = "[";
  for (std::size_t i = 0; i < info.sources.size(); ++i) sources += (i ? ", " : "") + json_quote(info.sources[i]);
  key("sources", sources + "]");
  key("connections", "{\"idle\": " + std::to_string(stats.open_idle) + ", \"active\": " +
                         std::to_string(stats.open_active) + ", \"requested_idle\": " +
                         std::to_string(info.requested_idle) + ", \"requested_active\": " +
                         std::to_string(info.requested_active) + "}");
  key("connect_s", json_number(info.connect_s));
  key("duration_s", json_number(info.duration_s));
  key("requests", std::to_string(stats.requests));
  key("requests_per_sec", json_number(rps));
  key("bytes_read", std::to_string(stats.bytes_read));
  key("latency_ns", "{\"p50\": " + std::to_string(h.percentile(50)) + ", \"p90\": " +
                        std::to_string(h.percentile(90)) + ", \"p99\": " + std::to_string(h.percentile(99)) +
                        ", \"p999\": " + std::to_string(h.percentile(99.9)) + ", \"max\": " +
                        std::to_string(h.max()) + ", \"min\": " + std::to_string(h.min()) +
                        ", \"mean\": " + json_number(h.mean()) + "}");
  std::string errors = "{";
  for (std::size_t i = 0; i < kErrorKinds; ++i) {
    errors += std::string(i ? ", " : "") + "\"" + error_name(static_cast<ErrorKind>(i)) +
              "\": " + std::to_string(stats.errors.counts[i]);
  }
  key("errors", errors + "}");
  key("errors_total", std::to_string(stats.errors.total()));
  key("first_error", stats.first_error.empty() ? "null" : json_quote(stats.first_error));
  key("reconnects", std::to_string(stats.reconnects));
  key("interrupted", info.interrupted ? "true" : "false", true);
  out += "}";
  return out;
}

}  // namespace pollbench::loadgen
