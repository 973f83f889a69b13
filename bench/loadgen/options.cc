#include "options.h"

#include <charconv>
#include <cstdio>
#include <cmath>
#include <limits>
#include <string_view>

namespace pollbench::loadgen {

namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::size_t parse_count(std::string_view name, std::string_view text, std::size_t min, std::size_t max) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw UsageError(std::string(name) + " takes a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", not " + quoted(text));
  }
  return value;
}

double parse_positive(std::string_view name, std::string_view text, double max, std::string_view unit) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
      value <= 0 || value > max) {
    char limit[32];
    std::snprintf(limit, sizeof limit, "%g", max);
    throw UsageError(std::string(name) + " takes a number of " + std::string(unit) + " above 0 and at most " +
                     limit + ", not " + quoted(text));
  }
  return value;
}

void check_path(std::string_view path) {
  if (path.empty() || path.front() != '/') throw UsageError("--path must start with '/', not " + quoted(path));
  for (char c : path) {
    // Anything that would break the request line or headers.
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      throw UsageError("--path may not contain spaces or control characters: " + quoted(path));
    }
  }
  if (path.size() > 4096) throw UsageError("--path is longer than 4096 characters");
}

}  // namespace

Options parse_options(int argc, const char* const* argv) {
  Options options;
  bool saw_target = false, saw_pipeline = false, saw_rate = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      options.help = true;
      return options;
    }
    if (arg.substr(0, 2) != "--") throw UsageError("unexpected argument " + quoted(arg) + " (options start with --)");
    std::string_view name = arg;
    std::string_view value;
    bool has_inline_value = false;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_inline_value = true;
    }
    if (name == "--allow-remote") {
      if (has_inline_value) throw UsageError("--allow-remote takes no value");
      options.allow_remote = true;
      continue;
    }
    static constexpr std::string_view kValued[] = {"--target",  "--idle",    "--active",  "--duration", "--pipeline",
                                                   "--rate",    "--threads", "--sources", "--path",
                                                   "--connect-timeout"};
    bool known = false;
    for (auto k : kValued) known = known || name == k;
    if (!known) throw UsageError("unknown option " + quoted(name));
    if (!has_inline_value) {
      if (i + 1 >= argc) throw UsageError(std::string(name) + " needs a value");
      value = argv[++i];
    }
    if (name == "--target") {
      if (value.empty()) throw UsageError("--target needs ADDR:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
      options.target = value;
      saw_target = true;
    } else if (name == "--idle") {
      options.idle = parse_count(name, value, 0, 100'000'000);
    } else if (name == "--active") {
      options.active = parse_count(name, value, 0, 10'000'000);
    } else if (name == "--duration") {
      options.duration_s = parse_positive(name, value, kMaxDurationS, "seconds");
    } else if (name == "--connect-timeout") {
      options.connect_timeout_s = parse_positive(name, value, kMaxDurationS, "seconds");
    } else if (name == "--pipeline") {
      options.pipeline = static_cast<unsigned>(parse_count(name, value, 1, kMaxPipeline));
      saw_pipeline = true;
    } else if (name == "--rate") {
      options.rate = parse_positive(name, value, 1e9, "requests per second");
      saw_rate = true;
    } else if (name == "--threads") {
      options.threads = static_cast<unsigned>(parse_count(name, value, 1, kMaxThreads));
    } else if (name == "--sources") {
      options.sources = static_cast<unsigned>(parse_count(name, value, 1, kMaxSources));
    } else if (name == "--path") {
      check_path(value);
      options.path = value;
    }
  }
  if (!saw_target) throw UsageError("--target ADDR:PORT is required");
  if (saw_pipeline && saw_rate) {
    throw UsageError("--pipeline (closed loop) and --rate (open loop) exclude each other; give one");
  }
  if (saw_rate) {
    options.mode = LoadMode::open_loop;
    if (options.active == 0) throw UsageError("--rate needs at least one active connection (--active 1 or more)");
  }
  if (options.idle == 0 && options.active == 0) {
    throw UsageError("--idle and --active are both 0: there is nothing to open");
  }
  return options;
}

const char* usage_line() {
  return "usage: loadgen --target ADDR:PORT [--idle I] [--active A] [--duration SECONDS]\n"
         "               [--pipeline D | --rate R] [--threads T] [--sources N] [--allow-remote]\n"
         "               [--path /] [--connect-timeout SECONDS] [--help]";
}

std::string help_text() {
  std::string text = usage_line();
  text += R"(

An HTTP/1.1 keep-alive load generator for pollserver (and any HTTP server). It opens I idle
connections (connect, then silence) and A active ones that send `GET PATH HTTP/1.1`, waits
until every one is open, sends requests for SECONDS, then prints one JSON object on stdout.
Progress goes to stderr; once every connection is open it prints `connected idle=I active=A`.

  --target ADDR:PORT  the server: IPv4 (127.0.0.1:8080) or IPv6 in brackets ([::1]:8080).
                      Only loopback addresses unless --allow-remote is given.
  --idle I            idle connections (default 0)
  --active A          active connections (default 10)
  --duration SECONDS  how long requests are sent, fractions allowed (default 10)
  --pipeline D        closed loop: each active connection keeps D requests outstanding and
                      sends the next when an answer arrives (default 1, at most 1024)
  --rate R            open loop instead: R requests per second in total, on a fixed schedule.
                      Latency counts from each request's scheduled send time, so a server
                      that stalls cannot hide its delay (coordinated omission, as in wrk2).
  --threads T         worker threads, each one epoll loop; connections are dealt round-robin
                      (default 1)
  --sources N         spread connections round-robin over source addresses 127.0.0.1 ..
                      127.0.0.N (loopback IPv4 targets). More are added so that none
                      carries over half its ephemeral ports (net.ipv4.ip_local_port_range):
                      beyond that each connect() scans the whole range.
  --allow-remote      allow a target outside 127.0.0.0/8 and ::1
  --path /            the request path (default /)
  --connect-timeout SECONDS
                      how long one connect may take (default 20, never more than
                      --duration). The connect phase as a whole also ends after --duration:
                      connections not open by then count as connect_timeout.
  --help              this text

Output keys: requests, requests_per_sec, duration_s, latency_ns {p50 p90 p99 p999 max min
mean}, errors {count per kind; all 0 on a clean run}, reconnects, connections {idle active:
open when the run ended}, threads, sources, target, mode. The JSON is valid UTF-8 whatever the
server sent (bytes that are not UTF-8 become U+FFFD); a number that is not finite is null.

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
  return text;
}

}  // namespace pollbench::loadgen
