// pollserver: the minimal HTTP/1.1 keep-alive server on one chosen backend, for wrk, httperf,
// loadgen or curl. Prints `listening on ADDR:PORT` first, serves until SIGINT or SIGTERM, then
// writes its statistics as JSON.
#include <signal.h>
#include <sys/signalfd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <iostream>
#include <string>
#include <vector>
#include <system_error>

#include "accept_mode.h"
#include "cli.h"
#include "error.h"
#include "fd.h"
#include "listener.h"
#include "parent_death.h"
#include "poller.h"
#include "server.h"

namespace {

constexpr std::uint64_t kMaxBodySize = 16 * 1024 * 1024;

struct Options {
  std::string backend = "epoll_lt";
  std::uint16_t port = 0;
  std::string bind = "127.0.0.1";
  std::size_t body_size = 64;
  std::size_t max_header = pollbench::http::kDefaultMaxHeaderBytes;
  std::string stats_file;
  int threads = 1;
  std::string accept;  // empty: the single loop
  double header_timeout_s = 10;
  double idle_timeout_s = 0;
  bool exit_with_parent = false;
};

std::vector<std::string> accept_mode_names() {
  std::vector<std::string> out;
  for (const auto& info : pollbench::served_accept_modes()) out.emplace_back(info.name);
  return out;
}

std::chrono::milliseconds to_ms(double seconds) { return std::chrono::milliseconds(std::llround(seconds * 1000)); }

std::string epilog() {
  std::string out = "Backends here:\n";
  for (const auto& info : pollbench::backends()) {
    out += "  " + info.name + (info.available ? "" : "  (unavailable here: " + info.reason + ")") + "\n";
  }
  out += "Accept modes (--accept; docs/herd.md):\n";
  for (const auto& info : pollbench::served_accept_modes()) {
    out += "  " + std::string(info.name) + std::string(20 - std::min<std::size_t>(info.name.size(), 19), ' ') +
           std::string(info.server_description) + "\n";
  }
  out +=
      "\n"
      "Every GET, HEAD or POST request that ends at its blank line (and its Content-Length body) gets\n"
      "`200 OK` with a fixed body (HEAD: the head only); malformed requests get 400, other methods\n"
      "501, other HTTP versions 505, oversized ones 431 (headers) or 413 (body), then the connection\n"
      "closes. `Expect: 100-continue` gets `100 Continue` before the body (417 if it is over the limit).\n"
      "\n"
      "Timeouts and the fd limit (docs/tcp.md): a request whose head and body have not all arrived\n"
      "--header-timeout seconds after its first byte gets 408 and is closed; --idle-timeout, off by\n"
      "default so that a benchmark's idle connections stay, closes connections silent that long\n"
      "(set it when the server is reachable by others). At the fd limit the connection that has\n"
      "waited longest without completing a request (at least 1 s) is closed to make room; with\n"
      "none, the new one is closed at once (errors.fd_limit), and a loop that cannot do even that\n"
      "stops accepting for 100 ms.\n"
      "The first line on stdout is `listening on ADDR:PORT`. On SIGINT or SIGTERM the server\n"
      "writes one JSON object: waits, per-wait latency percentiles (wait_ns), events per wait,\n"
      "requests, connections accepted / closed / open, bytes and errors by kind.\n"
      "\n"
      "example: pollserver --backend epoll_et --port 8080 &\n"
      "         wrk -t1 -c100 -d3s http://127.0.0.1:8080/\n";
  return out;
}

void describe(pollbench::cli::Parser& p, Options& o) {
  p.choice("--backend", "NAME", o.backend, pollbench::cli::backend_names(), "readiness mechanism");
  p.count("--port", "P", o.port, 0, 65535, "TCP port; 0: the kernel picks a free one");
  p.text("--bind", "ADDR", o.bind,
         "numeric IPv4 or IPv6 address to listen on (0.0.0.0 or a host address makes it reachable from other hosts)",
         [](const std::string& address) -> std::string {
           try {
             pollbench::parse_bind_address(address);
           } catch (const std::invalid_argument& e) {
             return e.what();
           }
           return "";
         });
  p.count("--body-size", "BYTES", o.body_size, 0, kMaxBodySize, "size of the 200 OK body");
  p.count("--max-header", "BYTES", o.max_header, 256, 1024 * 1024, "request line + headers limit");
  p.text("--stats", "FILE", o.stats_file,
         "write the statistics there instead of stdout (created, or emptied, at start: a path that cannot be "
         "written exits 2)");
  p.count("--threads", "T", o.threads, 1, 64, "T event loops, each in its own thread with its own poller (needs --accept)");
  p.choice("--accept", "MODE", o.accept, accept_mode_names(), "how the loops share the listening port");
  p.real("--header-timeout", "SECONDS", o.header_timeout_s, 0, false, 86400,
         "close a connection whose request is still arriving this long after its first byte (0: never)");
  p.real("--idle-timeout", "SECONDS", o.idle_timeout_s, 0, false, 86400,
         "close a connection that sent no request for this long (0, the default: never)");
  p.flag("--exit-with-parent", o.exit_with_parent,
         "exit (as on SIGTERM) when the process that started pollserver dies (PR_SET_PDEATHSIG); "
         "without it pollserver outlives a script that started it in the background");
  p.epilog(epilog());
}

// 127.0.0.0/8, ::1, and 127.0.0.0/8 mapped into IPv6 (::ffff:127.x.y.z).
bool is_loopback(const std::string& address) {
  const auto parsed = pollbench::parse_bind_address(address);
  return parsed.text.rfind("127.", 0) == 0 || parsed.text.rfind("::ffff:127.", 0) == 0 || parsed.text == "::1";
}

int run(const Options& o) {
  pollbench::raise_fd_limit();

  // Open the statistics file now, so a path that cannot be written is a usage error before the
  // run, not a lost run at its end.
  std::FILE* stats_out = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> stats_file(nullptr, &std::fclose);
  if (!o.stats_file.empty()) {
    stats_file.reset(std::fopen(o.stats_file.c_str(), "we"));
    if (!stats_file) {
      throw pollbench::cli::UsageError("--stats: cannot write '" + o.stats_file + "': " + std::strerror(errno));
    }
    stats_out = stats_file.get();
  }

  std::unique_ptr<pollbench::Poller> poller;
  try {
    poller = pollbench::make_poller(o.backend);
  } catch (const std::invalid_argument& e) {
    throw pollbench::cli::UsageError(std::string("--backend: ") + e.what());
  }

  // SIGINT and SIGTERM arrive through a signalfd the loop watches, so no signal can slip in
  // between checking a flag and blocking in a wait. Writes use MSG_NOSIGNAL; SIGPIPE is
  // ignored as well in case anything else writes to a closed socket.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &stop_signals, nullptr) < 0) pollbench::throw_errno("sigprocmask");
  pollbench::OwnedFd stop_fd(::signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!stop_fd) pollbench::throw_errno("signalfd");
  ::signal(SIGPIPE, SIG_IGN);

  pollbench::OwnedFd listener = pollbench::listen_tcp(o.bind, o.port);
  const std::string endpoint = pollbench::local_endpoint(listener.get());
  if (!is_loopback(o.bind)) {
    std::cerr << "pollserver: note: " << endpoint << " is not a loopback address; other hosts can connect\n";
  }

  pollbench::ServerConfig config;
  config.body_size = o.body_size;
  config.limits.max_header_bytes = o.max_header;
  config.header_timeout = to_ms(o.header_timeout_s);
  config.idle_timeout = to_ms(o.idle_timeout_s);
  if (!o.accept.empty()) {
    try {
      return pollbench::serve_threads({o.accept, o.threads, o.backend, o.stats_file}, std::move(listener), config, stop_fd.get());
    } catch (const std::invalid_argument& e) {
      throw pollbench::cli::UsageError("--accept " + o.accept + ": " + e.what());
    }
  }
  pollbench::Server server(std::move(poller), std::move(listener), config);
  server.watch_stop_fd(stop_fd.get());

  std::printf("listening on %s\n", endpoint.c_str());
  std::fflush(stdout);

  while (!server.stop_requested()) server.turn(pollbench::kForever);

  const std::string json = pollbench::stats_json(server.stats(), o.backend, endpoint, server.open_connections());
  const bool written = std::fwrite(json.data(), 1, json.size(), stats_out) == json.size() && std::fflush(stats_out) == 0;
  if (!written || (stats_file && std::fclose(stats_file.release()) != 0)) {
    std::cerr << "pollserver: cannot write statistics to '" << (o.stats_file.empty() ? "stdout" : o.stats_file) << "'\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  pollbench::cli::Parser parser("pollserver",
                                "A minimal HTTP/1.1 keep-alive server over one readiness backend, for wrk, loadgen or curl.");
  describe(parser, options);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--help=", 7) == 0) {
      parser.print_error(std::string("--help: takes no value, not '") + (argv[i] + 7) + "'");
      return 2;
    }
  }
  parser.parse_or_exit(argc, argv);
  if (options.exit_with_parent) pollbench::die_with_parent();
  try {
    if (options.threads > 1 && options.accept.empty()) throw pollbench::cli::UsageError("--threads needs --accept MODE");
    return run(options);
  } catch (const pollbench::cli::UsageError& e) {
    parser.print_error(e.what());
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "pollserver: " << e.what() << "\n";
    return 1;
  }
}
