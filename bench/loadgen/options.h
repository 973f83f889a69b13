// loadgen's command line: what the user asked for, checked, before anything is opened.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace pollbench::loadgen {

// Closed loop: each active connection keeps `pipeline` requests outstanding and sends the next
// when an answer arrives. Open loop: requests leave on a fixed schedule (`rate` per second in
// total) whether or not the server keeps up, and latency counts from the scheduled time.
enum class LoadMode { closed_loop, open_loop };

struct Options {
  std::string target;          // "ADDR:PORT" as given; checked by parse_endpoint()
  std::size_t idle = 0;        // connections that connect, then stay silent
  std::size_t active = 10;     // connections that send requests
  double duration_s = 10;      // how long requests are sent, after every connection is open
  double connect_timeout_s = 20;  // one connect's limit (main bounds it by duration_s)
  LoadMode mode = LoadMode::closed_loop;
  unsigned pipeline = 1;       // closed loop: requests outstanding per active connection
  double rate = 0;             // open loop: requests per second across all active connections
  unsigned threads = 1;        // worker threads, each with its own epoll loop
  unsigned sources = 0;        // at least this many source addresses 127.0.0.1.. (0: as the ports need)
  bool allow_remote = false;   // permit a target outside the loopback network
  std::string path = "/";      // the request's path
  std::int64_t start_at_unix_ns = 0;  // --start-at: begin requests at this CLOCK_REALTIME instant (0: at once)
  std::string dump_samples;    // --dump-samples: write every latency sample here (tests)
  bool help = false;
};

// Accepts "--name value" and "--name=value". Throws cli::UsageError naming the option and its
// limits; sets `help` on --help without checking anything else.
Options parse_options(int argc, const char* const* argv);

// "SECONDS[.FRACTION]" since the Unix epoch, to the nanosecond (9 fraction digits at most), or
// throws cli::UsageError naming --start-at.
std::int64_t parse_unix_instant(const std::string& text);

// The usage line and the full --help text (bench/common/cli.h's layout).
std::string usage_line();
std::string help_text();

// Limits the parser enforces (also named in the messages).
inline constexpr unsigned kMaxPipeline = 1024;
inline constexpr unsigned kMaxThreads = 256;
inline constexpr unsigned kMaxSources = 254;
inline constexpr double kMaxDurationS = 1e6;
// --start-at may lie this far in the past (a slow launch: the agent starts at once and reports
// how late) or in the future; further is a typo or a clock far off.
inline constexpr std::int64_t kMaxStartLateS = 60;
inline constexpr std::int64_t kMaxStartAheadS = 86400;

}  // namespace pollbench::loadgen
