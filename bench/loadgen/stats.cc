#include "stats.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string_view>

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
  samples.insert(samples.end(), other.samples.begin(), other.samples.end());
}

namespace {

// A 128-bit sum as JSON: a number while it fits in 64 bits (always, in practice), else a
// decimal string, which no JSON reader rounds.
nlohmann::ordered_json sum_to_json(unsigned __int128 sum) {
  if (sum <= UINT64_MAX) return static_cast<std::uint64_t>(sum);
  std::string digits;
  for (; sum > 0; sum /= 10) digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(sum % 10)));
  return digits;
}

unsigned __int128 sum_from_json(const nlohmann::json& j) {
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  if (j.is_number_integer() && j.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(j.get<std::int64_t>());
  if (!j.is_string() || j.get<std::string>().empty() || j.get<std::string>().size() > 39) {
    throw std::invalid_argument("latency_histogram.sum is not a whole number");
  }
  unsigned __int128 sum = 0;
  for (char c : j.get<std::string>()) {
    if (c < '0' || c > '9') throw std::invalid_argument("latency_histogram.sum is not a whole number");
    sum = sum * 10 + static_cast<unsigned>(c - '0');
  }
  return sum;
}

std::uint64_t whole(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) throw std::invalid_argument(std::string("latency_histogram has no ") + key);
  const auto& v = j.at(key);
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(v.get<std::int64_t>());
  throw std::invalid_argument(std::string("latency_histogram.") + key + " is not a whole number");
}

// `text` as a whole decimal number, nothing else.
template <typename Int>
bool parse_decimal(std::string_view text, Int& out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc() && ptr == end;
}

// "INDEX:COUNT INDEX:COUNT ...", decimal, one space between pairs; throws std::invalid_argument.
std::vector<Histogram::Bucket> parse_buckets(std::string_view text) {
  std::vector<Histogram::Bucket> buckets;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t space = std::min(text.find(' ', at), text.size());
    const std::string_view pair = text.substr(at, space - at);
    const std::size_t colon = pair.find(':');
    Histogram::Bucket bucket;
    if (colon == std::string_view::npos || !parse_decimal(pair.substr(0, colon), bucket.first) ||
        !parse_decimal(pair.substr(colon + 1), bucket.second) || space + 1 == text.size()) {
      throw std::invalid_argument("latency_histogram.buckets holds '" + std::string(pair.substr(0, 40)) +
                                  "', not INDEX:COUNT pairs separated by one space");
    }
    buckets.push_back(bucket);
    at = space + 1;
  }
  return buckets;
}

}  // namespace

nlohmann::ordered_json latency_json(const Histogram& h) {
  return {{"p50", h.percentile(50)}, {"p90", h.percentile(90)}, {"p99", h.percentile(99)},
          {"p999", h.percentile(99.9)}, {"max", h.max()}, {"min", h.min()}, {"mean", h.mean()}};
}

nlohmann::ordered_json histogram_layout() {
  return {{"kind", "log_linear"},
          {"unit", "ns"},
          {"sub_bucket_bits", Histogram::kSubBits},
          {"buckets", Histogram::kBuckets},
          {"value", "bucket midpoint, clamped to min and max"}};
}

nlohmann::ordered_json histogram_to_json(const Histogram& h) {
  // One string, not an array of pairs: an indented report would spend four lines on each of
  // a thousand buckets (HdrHistogram's logs likewise keep a histogram in one string).
  std::string buckets;
  for (const auto& [index, n] : h.nonzero_buckets()) {
    if (!buckets.empty()) buckets += ' ';
    buckets += std::to_string(index) + ':' + std::to_string(n);
  }
  return {{"layout", histogram_layout()}, {"count", h.count()},   {"min", h.min()},
          {"max", h.max()},               {"sum", sum_to_json(h.sum())}, {"buckets", std::move(buckets)}};
}

Histogram histogram_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("latency_histogram is not an object");
  if (!j.contains("layout") || nlohmann::json::parse(histogram_layout().dump()) != j.at("layout")) {
    throw std::invalid_argument("latency_histogram.layout is " + (j.contains("layout") ? j.at("layout").dump() : "missing") +
                                ", not this loadgen's " + histogram_layout().dump());
  }
  if (!j.contains("buckets") || !j.at("buckets").is_string()) throw std::invalid_argument("latency_histogram has no buckets");
  const std::vector<Histogram::Bucket> buckets = parse_buckets(j.at("buckets").get<std::string>());
  Histogram h = Histogram::from_parts(buckets, whole(j, "min"), whole(j, "max"),
                                      sum_from_json(j.contains("sum") ? j.at("sum") : nlohmann::json()));
  if (h.count() != whole(j, "count")) throw std::invalid_argument("latency_histogram.count is not the buckets' sum");
  return h;
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
  out["latency_ns"] = latency_json(h);
  Json errors = Json::object();
  for (std::size_t i = 0; i < kErrorKinds; ++i) errors[error_name(static_cast<ErrorKind>(i))] = stats.errors.counts[i];
  out["errors"] = std::move(errors);
  out["errors_total"] = stats.errors.total();
  out["first_error"] = stats.first_error.empty() ? Json(nullptr) : Json(stats.first_error);
  out["reconnects"] = stats.reconnects;
  out["interrupted"] = info.interrupted;
  // For merging runs from several hosts (loadgen merge): when the requests began on this
  // host's clock, the schedule that must match, and the histogram itself.
  out["start_at_unix_ns"] = info.start_at_unix_ns != 0 ? Json(info.start_at_unix_ns) : Json(nullptr);
  out["started_at_unix_ns"] = info.started_at_unix_ns != 0 ? Json(info.started_at_unix_ns) : Json(nullptr);
  Json schedule = {{"kind", info.mode}, {"duration_s", info.requested_duration_s}};
  if (closed_loop) {
    schedule["pipeline"] = info.pipeline;
  } else {
    // Worker w sends rate * (its active connections / active) per second, its first request
    // due interval_w * w / threads after the start: everything that sets an intended time.
    schedule["rate_per_s"] = info.rate;
    schedule["threads"] = info.threads;
    schedule["active"] = info.requested_active;
  }
  schedule["start_at_unix_ns"] = out["start_at_unix_ns"];
  out["schedule"] = std::move(schedule);
  out["latency_histogram"] = histogram_to_json(h);
  // first_error quotes the server's bytes, which need not be UTF-8: `replace` writes U+FFFD
  // for each bad byte instead of throwing. A NaN or an infinity is written as null.
  return out.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace pollbench::loadgen
