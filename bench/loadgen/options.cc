#include "options.h"

#include <time.h>

#include <string_view>

#include "cli.h"

namespace pollbench::loadgen {

namespace {

constexpr const char* kDescription =
    "An HTTP/1.1 keep-alive load generator for pollserver (and any HTTP server): idle and active connections.";

constexpr const char* kEpilog = R"(loadgen opens I idle connections (connect, then silence) and A active ones that send
`GET PATH HTTP/1.1`, waits until every one is open, sends requests for SECONDS, then prints one
JSON object on stdout. Progress goes to stderr; once every connection is open it prints
`connected idle=I active=A`. With --rate, latency counts from each request's scheduled send
time, so a server that stalls cannot hide its delay (coordinated omission, as in wrk2).
--sources adds addresses so that none carries over half its ephemeral ports
(net.ipv4.ip_local_port_range): beyond that each connect() scans the whole range. The connect
phase as a whole also ends after --duration: connections not open by then count as
connect_timeout.

Output keys: requests, requests_per_sec, duration_s, latency_ns {p50 p90 p99 p999 max min
mean}, errors {count per kind; all 0 on a clean run}, reconnects, connections {idle active:
open when the run ended}, threads, sources, target, mode, started_at_unix_ns (the wall clock
when requests began), schedule {kind duration_s pipeline | rate_per_s threads active,
start_at_unix_ns}, latency_histogram {layout count min max sum buckets: "INDEX:COUNT ..."},
the histogram without loss. The JSON is valid UTF-8 whatever the server sent (bytes that are
not UTF-8 become U+FFFD); a number that is not finite is null. Interim 1xx answers (100
Continue, 103) are skipped; the final answer counts.

`loadgen merge [--max-skew SECONDS] A.json B.json ...` merges reports from several hosts (same
target and schedule): counts add, percentiles come from the summed histograms, duration_s is
the union window. scripts/multi_load.sh drives such a run (docs/tcp.md).

Errors counted (never fatal once the run has started): connect_refused, connect_timeout
(no connection within --connect-timeout), connect_failed, reset (ECONNRESET/EPIPE), closed (the server
closed a connection), timeout (no answer 2 s after the run ended), bad_response (unparseable
answer, or bytes on an idle connection), bad_status (status not 2xx), overload (open loop:
65536 requests already queued on one connection), io_error. Active connections that break
are reopened (at once if the server answered on them since their last failure, else after
10 ms, 20 ms, ... doubling up to 1 s; counted in reconnects); idle ones are not. SIGINT or SIGTERM end the run early; the JSON is still
printed. While connections are being opened, a refused connect, a missing address or the fd
limit stops loadgen with an error naming the cause.

Exit status: 0 when the run completed (check errors), 1 when it could not start (connection
refused, address not available, fd limit), 2 for a bad command line.
)";

// Why `path` cannot be the request's path, or "".
std::string path_problem(std::string_view path) {
  if (path.front() != '/') return "must start with '/', not '" + std::string(path) + "'";
  for (char c : path) {
    // Anything that would break the request line or headers.
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return "may not contain spaces or control characters: '" + std::string(path) + "'";
    }
  }
  if (path.size() > 4096) return "is longer than 4096 characters";
  return "";
}

std::int64_t realtime_now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Refuses a --start-at far from now (see kMaxStartLateS, kMaxStartAheadS).
void check_start_at(std::int64_t start_at_ns) {
  const std::int64_t now = realtime_now_ns();
  if (start_at_ns < now - kMaxStartLateS * 1'000'000'000) {
    throw cli::UsageError("--start-at is " + std::to_string((now - start_at_ns) / 1'000'000'000) +
                          " s in the past; at most " + std::to_string(kMaxStartLateS) +
                          " s late is accepted (is this host's clock right?)");
  }
  if (start_at_ns > now + kMaxStartAheadS * 1'000'000'000) {
    throw cli::UsageError("--start-at is " + std::to_string((start_at_ns - now) / 1'000'000'000) +
                          " s ahead; the limit is " + std::to_string(kMaxStartAheadS) + " s");
  }
}

// loadgen's options, bound to `o`.
void describe(cli::Parser& p, Options& o, std::string& start_at) {
  p.text("--target", "ADDR:PORT", o.target,
         "the server: IPv4 (127.0.0.1:8080) or IPv6 in brackets ([::1]:8080); loopback only unless --allow-remote");
  p.required("--target");
  p.count("--idle", "I", o.idle, 0, 100'000'000, "idle connections: connect, then stay silent");
  p.count("--active", "A", o.active, 0, 10'000'000, "active connections, which send requests");
  p.real("--duration", "SECONDS", o.duration_s, 0, true, kMaxDurationS, "how long requests are sent, fractions allowed");
  p.count("--pipeline", "D", o.pipeline, 1, kMaxPipeline,
          "closed loop: each active connection keeps D requests outstanding, sending the next when an answer arrives");
  p.real("--rate", "R", o.rate, 0, true, 1e9,
         "open loop instead: R requests per second in total, on a fixed schedule; latency counts from the "
         "scheduled send time")
      .default_is("");
  p.exclusive("--pipeline", "--rate");
  p.count("--threads", "T", o.threads, 1, kMaxThreads,
          "worker threads, each one epoll loop; connections are dealt round-robin");
  p.count("--sources", "N", o.sources, 1, kMaxSources,
          "spread connections round-robin over source addresses 127.0.0.1 .. 127.0.0.N (loopback IPv4 targets)")
      .default_is("as many as the ports need");
  p.flag("--allow-remote", o.allow_remote, "allow a target outside 127.0.0.0/8 and ::1");
  p.text("--path", "PATH", o.path, "the request path", [](const std::string& path) { return path_problem(path); });
  p.real("--connect-timeout", "SECONDS", o.connect_timeout_s, 0, true, kMaxDurationS,
         "how long one connect may take (never more than --duration)");
  p.text("--start-at", "UNIX_TIME", start_at,
         "begin sending at this wall-clock instant (seconds since the epoch, e.g. $(date +%s.%N)), after every "
         "connection is open, so loadgens on several hosts share one window")
      .default_is("at once");
  p.text("--dump-samples", "FILE", o.dump_samples,
         "for tests: after the run, write every latency sample (ns, one per line) to FILE");
  p.epilog(kEpilog);
}

}  // namespace

Options parse_options(int argc, const char* const* argv) {
  Options options;
  std::string start_at;
  cli::Parser parser("loadgen", kDescription);
  describe(parser, options, start_at);
  parser.parse(argc, argv);
  if (parser.help_requested()) {
    options.help = true;
    return options;
  }
  if (parser.given("--rate")) {
    options.mode = LoadMode::open_loop;
    if (options.active == 0) throw cli::UsageError("--rate needs at least one active connection (--active 1 or more)");
  }
  if (parser.given("--start-at")) {
    options.start_at_unix_ns = parse_unix_instant(start_at);
    check_start_at(options.start_at_unix_ns);
  }
  if (options.idle == 0 && options.active == 0) {
    throw cli::UsageError("--idle and --active are both 0: there is nothing to open");
  }
  return options;
}

std::int64_t parse_unix_instant(const std::string& text) {
  const auto dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  const std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  const bool digits = !whole.empty() && whole.find_first_not_of("0123456789") == std::string::npos &&
                      fraction.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || fraction.size() > 9 || (dot != std::string::npos && fraction.empty())) {
    throw cli::UsageError("--start-at: '" + text + "' is not seconds since the epoch (digits, optionally '.' and up "
                          "to 9 more digits, as `date +%s.%N` prints)");
  }
  const std::uint64_t seconds = cli::parse_whole("--start-at", whole, 1, 9'000'000'000);
  std::int64_t ns = 0;
  for (std::size_t i = 0; i < 9; ++i) ns = ns * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  return static_cast<std::int64_t>(seconds) * 1'000'000'000 + ns;
}

std::string usage_line() {
  Options o;
  std::string start_at;
  cli::Parser parser("loadgen", kDescription);
  describe(parser, o, start_at);
  return parser.usage_line();
}

std::string help_text() {
  Options o;
  std::string start_at;
  cli::Parser parser("loadgen", kDescription);
  describe(parser, o, start_at);
  return parser.help();
}

}  // namespace pollbench::loadgen
