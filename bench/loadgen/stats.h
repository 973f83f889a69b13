// What a run counts: per-worker tallies (no sharing, no atomics on the hot path), merged once
// at the end into the JSON report.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "histogram.h"

namespace pollbench::loadgen {

// Every kind of error, counted and reported by name; all zero on a clean run.
enum class ErrorKind : std::uint8_t {
  connect_refused,  // ECONNREFUSED while reopening a connection
  connect_timeout,  // a connect did not complete in time
  connect_failed,   // any other connect error
  reset,            // ECONNRESET or EPIPE
  closed,           // the server closed a connection (EOF)
  timeout,          // a request still without an answer when the drain after the run ended
  bad_response,     // an answer loadgen cannot parse, or bytes on an idle connection
  bad_status,       // a parsed answer whose status is not 2xx
  overload,         // open loop: a scheduled request found its connection's queue full
  io_error,         // any other read or write error
  count_            // not a kind: the number of kinds
};
inline constexpr std::size_t kErrorKinds = static_cast<std::size_t>(ErrorKind::count_);
const char* error_name(ErrorKind kind);

struct ErrorCounts {
  std::array<std::uint64_t, kErrorKinds> counts{};
  void add(ErrorKind kind, std::uint64_t n = 1) { counts[static_cast<std::size_t>(kind)] += n; }
  std::uint64_t operator[](ErrorKind kind) const { return counts[static_cast<std::size_t>(kind)]; }
  std::uint64_t total() const;
  void merge(const ErrorCounts& other);
};

struct WorkerStats {
  std::uint64_t requests = 0;        // answers received during the run and the drain
  std::uint64_t bytes_read = 0;
  std::uint64_t reconnects = 0;      // active connections reopened after an error
  Histogram latency_ns;
  ErrorCounts errors;
  std::size_t open_idle = 0;         // connections open when the run ended
  std::size_t open_active = 0;
  std::int64_t last_answer_ns = 0;   // CLOCK_MONOTONIC of the last answer counted
  std::string first_error;           // the first error's description, for the report
  // Every latency sample, in the order recorded, when --dump-samples asked for them (tests
  // compare the histogram with them); empty otherwise.
  std::vector<std::uint64_t> samples;

  void merge(const WorkerStats& other);
};

// Everything the JSON report says besides the stats.
struct RunInfo {
  std::string target;
  std::string mode;                  // "closed_loop" or "open_loop"
  unsigned pipeline = 0;             // closed loop
  double rate = 0;                   // open loop
  std::string latency_from;          // "send" or "intended_send"
  unsigned threads = 0;
  std::vector<std::string> sources;  // empty: the kernel's choice
  std::size_t requested_idle = 0;
  std::size_t requested_active = 0;
  double connect_s = 0;              // opening every connection
  double duration_s = 0;             // first request to last answer (or the end of the run)
  bool interrupted = false;          // SIGINT/SIGTERM ended the run early
  double requested_duration_s = 0;   // --duration
  std::int64_t start_at_unix_ns = 0;     // --start-at (CLOCK_REALTIME); 0: none
  std::int64_t started_at_unix_ns = 0;   // CLOCK_REALTIME when requests began; 0: they never did
};

// The histogram as JSON, without loss: its bucket layout, count, min, max, sum and the nonzero
// buckets as one string of "INDEX:COUNT" pairs separated by spaces. histogram_from_json() is the inverse; it throws
// std::invalid_argument naming what is wrong (another layout, a bad bucket, a missing key).
nlohmann::ordered_json histogram_to_json(const Histogram& h);
Histogram histogram_from_json(const nlohmann::json& j);
// latency_ns as the report writes it: p50 p90 p99 p999 max min mean.
nlohmann::ordered_json latency_json(const Histogram& h);
// The layout every histogram_to_json() writes; merging requires equal layouts.
nlohmann::ordered_json histogram_layout();

// One JSON object, indented, no trailing newline. Always valid JSON in valid UTF-8: bytes in
// first_error that are not UTF-8 become U+FFFD, and a number that is not finite becomes null.
std::string to_json(const RunInfo& info, const WorkerStats& stats);

}  // namespace pollbench::loadgen
