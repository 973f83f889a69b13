// Unit tests of loadgen's pieces: the HTTP response parser, the command line, target and
// source-address planning, the send-time ring, the timer queue, the reconnect backoff, the
// open-loop schedule, and the JSON reports (loadgen's and pollserver's).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "backoff.h"
#include "cli.h"
#include "connection.h"
#include "endpoint.h"
#include "http_response.h"
#include "open_loop_schedule.h"
#include "options.h"
#include "server_stats.h"
#include "stats.h"
#include "timer_queue.h"

namespace pollbench::loadgen {
namespace {

using Result = ResponseParser::Result;

// Feeds `bytes` in pieces of `piece` bytes; returns the statuses of the complete responses,
// or -1 for an error (and stops).
std::vector<int> feed(ResponseParser& parser, const std::string& bytes, std::size_t piece) {
  std::vector<int> statuses;
  for (std::size_t at = 0; at < bytes.size();) {
    const std::size_t size = std::min(piece, bytes.size() - at);
    std::size_t pos = 0;
    while (pos < size) {
      std::size_t used = 0;
      const Result r = parser.parse(bytes.data() + at + pos, size - pos, &used);
      pos += used;
      if (r == Result::error) {
        statuses.push_back(-1);
        return statuses;
      }
      if (r == Result::complete) statuses.push_back(parser.status());
      if (r == Result::need_more) {
        EXPECT_EQ(pos, size);
      }
    }
    at += size;
  }
  return statuses;
}

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\n\r\nhello";
const std::string kChunked =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n10;ext=1\r\n0123456789abcdef\r\n0\r\n"
    "Trailer: x\r\n\r\n";
const std::string kNoContent = "HTTP/1.1 204 No Content\r\n\r\n";
const std::string kNotFound = "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";

TEST(ResponseParser, PipelinedResponsesSplitAtEveryByte) {
  const std::string stream = kOk + kChunked + kNoContent + kNotFound + kOk;
  const std::vector<int> want{200, 200, 204, 404, 200};
  for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
    ResponseParser parser;
    EXPECT_EQ(feed(parser, stream, piece), want) << "piece " << piece;
  }
}

TEST(ResponseParser, InterimResponsesAreSkippedUntilTheFinalOne) {
  // 100 Continue and 103 Early Hints (with headers, even a misleading Content-Length) precede
  // the final answer; 101 is final (no body).
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  const std::string hints = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nContent-Length: 9\r\n\r\n";
  const std::string stream = interim + kOk + interim + hints + kChunked + hints + kNotFound +
                             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n";
  const std::vector<int> want{200, 200, 404, 101};
  for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
    ResponseParser parser;
    EXPECT_EQ(feed(parser, stream, piece), want) << "piece " << piece;
  }
  ResponseParser parser;
  const std::string one = interim + kOk;
  std::size_t used = 0;
  EXPECT_EQ(parser.parse(one.data(), one.size(), &used), Result::complete);
  EXPECT_EQ(used, one.size());
  EXPECT_EQ(parser.status(), 200);
}

TEST(ResponseParser, StopsAtTheEndOfEachResponse) {
  ResponseParser parser;
  const std::string two = kOk + kOk;
  std::size_t used = 0;
  ASSERT_EQ(parser.parse(two.data(), two.size(), &used), Result::complete);
  EXPECT_EQ(used, kOk.size());
  ASSERT_EQ(parser.parse(two.data() + used, two.size() - used, &used), Result::complete);
  EXPECT_EQ(used, kOk.size());
}

TEST(ResponseParser, ConnectionClose) {
  ResponseParser parser;
  EXPECT_EQ(feed(parser, "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n", 1000),
            std::vector<int>{200});
  EXPECT_TRUE(parser.closes());
  EXPECT_EQ(feed(parser, kOk, 1000), std::vector<int>{200});
  EXPECT_FALSE(parser.closes());
  EXPECT_EQ(feed(parser, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 1000), std::vector<int>{200});
  EXPECT_TRUE(parser.closes());
}

TEST(ResponseParser, RejectsWhatItCannotParse) {
  const std::vector<std::string> bad{
      "this is not http\r\n\r\n",
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\n\r\n",  // no length: its end would be the connection's end
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
  };
  for (const auto& response : bad) {
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, response.size()}) {
      ResponseParser parser;
      EXPECT_EQ(feed(parser, response, piece), std::vector<int>{-1}) << response << " in pieces of " << piece;
      EXPECT_FALSE(parser.error().empty());
    }
  }
}

TEST(ResponseParser, LimitsLineLength) {
  ResponseParser parser;
  const std::string header = "X-Long: " + std::string(ResponseParser::kMaxLine, 'a') + "\r\n";
  EXPECT_EQ(feed(parser, "HTTP/1.1 200 OK\r\n" + header + "Content-Length: 0\r\n\r\n", 100), std::vector<int>{-1});
  EXPECT_NE(parser.error().find("longer"), std::string::npos);
}

// A response whose second line (a header) is `line_length` bytes before its LF, CR included.
std::string response_with_line(std::size_t line_length) {
  const std::string name = "X-Long: ";
  return "HTTP/1.1 200 OK\r\n" + name + std::string(line_length - name.size() - 1, 'a') +
         "\r\nContent-Length: 0\r\n\r\n";
}

// Two parse() calls, the first with bytes [0, split), the second with the rest.
std::vector<int> feed_split(const std::string& bytes, std::size_t split) {
  ResponseParser parser;
  std::vector<int> statuses;
  std::size_t at = 0;
  for (const std::size_t end : {split, bytes.size()}) {
    while (at < end) {
      std::size_t used = 0;
      const Result r = parser.parse(bytes.data() + at, end - at, &used);
      at += used;
      if (r == Result::error) {
        statuses.push_back(-1);
        return statuses;
      }
      if (r == Result::complete) statuses.push_back(parser.status());
    }
  }
  return statuses;
}

TEST(ResponseParser, LineLimitHoldsWhereverTheReadsSplitIt) {
  const std::string longest = response_with_line(ResponseParser::kMaxLine);
  const std::string too_long = response_with_line(ResponseParser::kMaxLine + 1);
  for (std::size_t split = 0; split <= too_long.size(); ++split) {
    if (split <= longest.size()) {
      ASSERT_EQ(feed_split(longest, split), std::vector<int>{200}) << "a line of the limit, split at " << split;
    }
    ASSERT_EQ(feed_split(too_long, split), std::vector<int>{-1}) << "a line over the limit, split at " << split;
  }
  // Far over the limit in one read: the case a server with 100,000-byte header lines hit.
  EXPECT_EQ(feed_split(response_with_line(100'000), 100'000 + 100), std::vector<int>{-1});
  const std::string status_line = "HTTP/1.1 200 " + std::string(ResponseParser::kMaxLine, 'k') + "\r\n\r\n";
  EXPECT_EQ(feed_split(status_line, status_line.size()), std::vector<int>{-1});
}

TEST(ResponseParser, LargeBodyIsCountedNotKept) {
  ResponseParser parser;
  const std::string body(1 << 20, 'x');
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  EXPECT_EQ(feed(parser, response + kOk, 4096), (std::vector<int>{200, 200}));
}

TEST(ResponseParser, ResetForgetsAPartialResponse) {
  ResponseParser parser;
  std::size_t used = 0;
  EXPECT_EQ(parser.parse(kOk.data(), 20, &used), Result::need_more);
  parser.reset();
  EXPECT_EQ(feed(parser, kOk, 1000), std::vector<int>{200});
}

// ---- command line -----------------------------------------------------------------------

Options parse(std::vector<const char*> args) {
  args.insert(args.begin(), "loadgen");
  return parse_options(static_cast<int>(args.size()), args.data());
}

TEST(Options, DefaultsAndBothSpellings) {
  const Options o = parse({"--target", "127.0.0.1:80", "--idle=15000", "--active", "100", "--duration", "2.5",
                           "--threads=2", "--sources", "3", "--path", "/x?y=1", "--allow-remote"});
  EXPECT_EQ(o.target, "127.0.0.1:80");
  EXPECT_EQ(o.idle, 15000u);
  EXPECT_EQ(o.active, 100u);
  EXPECT_DOUBLE_EQ(o.duration_s, 2.5);
  EXPECT_EQ(o.threads, 2u);
  EXPECT_EQ(o.sources, 3u);
  EXPECT_EQ(o.path, "/x?y=1");
  EXPECT_TRUE(o.allow_remote);
  EXPECT_EQ(o.mode, LoadMode::closed_loop);
  EXPECT_EQ(o.pipeline, 1u);
  EXPECT_DOUBLE_EQ(o.connect_timeout_s, 20);
  EXPECT_DOUBLE_EQ(parse({"--target", "127.0.0.1:80", "--connect-timeout=0.5"}).connect_timeout_s, 0.5);

  const Options open = parse({"--target", "[::1]:80", "--rate", "5000"});
  EXPECT_EQ(open.mode, LoadMode::open_loop);
  EXPECT_DOUBLE_EQ(open.rate, 5000);
  EXPECT_TRUE(parse({"--help"}).help);
}

TEST(Options, RejectsBadArgumentsNamingTheProblem) {
  struct Case {
    std::vector<const char*> args;
    const char* names;  // a word the message must contain
  };
  const std::vector<Case> cases{
      {{}, "--target"},
      {{"--target", "127.0.0.1:80", "--idle", "-1"}, "--idle"},
      {{"--target", "127.0.0.1:80", "--idle", "12x"}, "--idle"},
      {{"--target", "127.0.0.1:80", "--active"}, "needs a value"},
      {{"--target", "127.0.0.1:80", "--pipeline", "0"}, "--pipeline"},
      {{"--target", "127.0.0.1:80", "--pipeline", "2000"}, "--pipeline"},
      {{"--target", "127.0.0.1:80", "--pipeline", "2", "--rate", "10"}, "exclude"},
      {{"--target", "127.0.0.1:80", "--rate", "0"}, "--rate"},
      {{"--target", "127.0.0.1:80", "--rate", "10", "--active", "0"}, "active"},
      {{"--target", "127.0.0.1:80", "--duration", "0"}, "--duration"},
      {{"--target", "127.0.0.1:80", "--duration", "nan"}, "--duration"},
      {{"--target", "127.0.0.1:80", "--connect-timeout", "0"}, "--connect-timeout"},
      {{"--target", "127.0.0.1:80", "--connect-timeout", "-3"}, "--connect-timeout"},
      {{"--target", "127.0.0.1:80", "--threads", "0"}, "--threads"},
      {{"--target", "127.0.0.1:80", "--sources", "300"}, "--sources"},
      {{"--target", "127.0.0.1:80", "--path", "x"}, "--path"},
      {{"--target", "127.0.0.1:80", "--path", "/a b"}, "--path"},
      {{"--target", "127.0.0.1:80", "--idle", "0", "--active", "0"}, "nothing"},
      {{"--target", "127.0.0.1:80", "--bogus"}, "--bogus"},
      {{"--target", "127.0.0.1:80", "stray"}, "stray"},
      {{"--target", "127.0.0.1:80", "--allow-remote=yes"}, "--allow-remote"},
  };
  for (const auto& c : cases) {
    try {
      parse(c.args);
      ADD_FAILURE() << "accepted a bad command line naming " << c.names;
    } catch (const cli::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(c.names), std::string::npos) << e.what();
    }
  }
}

// ---- addresses --------------------------------------------------------------------------

TEST(Endpoint, ParsesIpv4Ipv6AndLocalhost) {
  EXPECT_EQ(parse_endpoint("127.0.0.1:8080").text(), "127.0.0.1:8080");
  EXPECT_EQ(parse_endpoint("[::1]:8080").text(), "[::1]:8080");
  EXPECT_EQ(parse_endpoint("localhost:81").text(), "127.0.0.1:81");
  EXPECT_EQ(parse_endpoint("[::1]:8080").family(), AF_INET6);
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "::1:80", "[::1]80",
                          "[::1:80", "example.com:80", ":80", "127.0.0.1:8o"}) {
    EXPECT_THROW(parse_endpoint(bad), std::invalid_argument) << bad;
  }
}

TEST(Endpoint, LoopbackIsOnly127AndColonColon1) {
  EXPECT_TRUE(is_loopback(parse_endpoint("127.0.0.1:1")));
  EXPECT_TRUE(is_loopback(parse_endpoint("127.255.1.2:1")));
  EXPECT_TRUE(is_loopback(parse_endpoint("[::1]:1")));
  EXPECT_TRUE(is_loopback(parse_endpoint("[::ffff:127.0.0.1]:1")));
  EXPECT_FALSE(is_loopback(parse_endpoint("128.0.0.1:1")));
  EXPECT_FALSE(is_loopback(parse_endpoint("10.0.0.1:1")));
  EXPECT_FALSE(is_loopback(parse_endpoint("0.0.0.0:1")));
  EXPECT_FALSE(is_loopback(parse_endpoint("[::2]:1")));
  EXPECT_FALSE(is_loopback(parse_endpoint("[::ffff:10.0.0.1]:1")));
}

TEST(SourcePlan, AddsAddressesWhenPortsWouldRunOut) {
  const PortRange range{32768, 60999};  // 28232 ports: 14116 even ones, 13616 used
  ASSERT_EQ(usable_ports(range), 13616u);
  const Endpoint v4 = parse_endpoint("127.0.0.1:80");

  SourcePlan one = plan_sources(v4, 13616, 0, range);
  ASSERT_EQ(one.addresses.size(), 1u);
  EXPECT_EQ(one.addresses[0].text(), "127.0.0.1");
  EXPECT_FALSE(one.added_for_ports);

  SourcePlan asked = plan_sources(v4, 10, 3, range);
  ASSERT_EQ(asked.addresses.size(), 3u);
  EXPECT_EQ(asked.addresses[2].text(), "127.0.0.3");
  EXPECT_FALSE(asked.added_for_ports);

  SourcePlan two = plan_sources(v4, 15010, 0, range);
  EXPECT_EQ(two.addresses.size(), 2u);
  EXPECT_TRUE(two.added_for_ports);

  SourcePlan million = plan_sources(v4, 1'000'000, 2, range);
  EXPECT_EQ(million.addresses.size(), 74u);  // ceil(1e6 / 13616)
  EXPECT_TRUE(million.added_for_ports);
  EXPECT_EQ(million.addresses.back().text(), "127.0.0.74");

  const PortRange narrow{60000, 60099};  // 100 ports, 50 even, 45 used
  EXPECT_EQ(plan_sources(v4, 1000, 0, narrow).addresses.size(), 23u);
}

TEST(SourcePlan, OtherTargetsHaveOneSource) {
  const PortRange range{32768, 60999};
  const Endpoint v6 = parse_endpoint("[::1]:80");
  EXPECT_TRUE(plan_sources(v6, 1000, 0, range).addresses.empty());
  EXPECT_THROW(plan_sources(v6, 1000, 2, range), std::invalid_argument);
  EXPECT_TRUE(plan_sources(v6, 20'000, 0, range).addresses.empty());  // slow past 13616, but possible
  EXPECT_THROW(plan_sources(v6, 100'000, 0, range), std::invalid_argument);
  const Endpoint remote = parse_endpoint("10.0.0.2:80");
  EXPECT_TRUE(plan_sources(remote, 1000, 1, range).addresses.empty());
  EXPECT_THROW(plan_sources(remote, 1000, 2, range), std::invalid_argument);
  try {
    plan_sources(remote, 100'000, 0, range);
    ADD_FAILURE() << "100000 connections from one address";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("ip_local_port_range"), std::string::npos) << e.what();
  }
}

// ---- send-time ring and request bytes ---------------------------------------------------

TEST(TimeRing, FifoGrowsToItsCap) {
  TimeRing ring(2, 5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(ring.push(i));
  EXPECT_TRUE(ring.full());
  EXPECT_FALSE(ring.push(99));
  EXPECT_EQ(ring.pop(), 0);
  EXPECT_EQ(ring.pop(), 1);
  EXPECT_TRUE(ring.push(5));
  EXPECT_TRUE(ring.push(6));
  for (int i = 2; i <= 6; ++i) EXPECT_EQ(ring.pop(), i);
  EXPECT_TRUE(ring.empty());
}

TEST(RequestBytes, SlicesAreTheRequestStream) {
  const std::string one = make_request("/p", parse_endpoint("127.0.0.1:8080"));
  EXPECT_EQ(one, "GET /p HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
  const RequestBytes bytes(one, 4);
  EXPECT_EQ(bytes.request_size(), one.size());
  EXPECT_EQ(bytes.slice(0, one.size() * 2), one + one);
  EXPECT_EQ(bytes.slice(3, one.size()), (one + one).substr(3, one.size()));
  EXPECT_EQ(bytes.slice(3, 1'000'000).size(), one.size() * 4 - 3);  // as much as there is
}

// ---- timer queue ------------------------------------------------------------------------

std::vector<std::uint32_t> pop_all_due(TimerQueue& q, std::int64_t now) {
  std::vector<std::uint32_t> ids;
  std::uint32_t id = 0;
  while (q.pop_due(now, &id)) ids.push_back(id);
  return ids;
}

TEST(TimerQueue, BackoffBehindAnImmediateReopenWaitsNoLonger) {
  // What a FIFO got wrong: a failed reopen (now + 100 ms) queued before a broken connection
  // that reopens at once (now). The one due now comes out now.
  constexpr std::int64_t now = 1'000'000'000, ms = 1'000'000;
  TimerQueue q(4);
  q.schedule(0, now + 100 * ms);
  q.schedule(1, now);
  EXPECT_EQ(q.next_deadline(), now);
  EXPECT_EQ(pop_all_due(q, now), std::vector<std::uint32_t>{1});
  EXPECT_TRUE(pop_all_due(q, now + 99 * ms).empty());
  EXPECT_EQ(pop_all_due(q, now + 100 * ms), std::vector<std::uint32_t>{0});
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.next_deadline(), TimerQueue::kNever);
}

TEST(TimerQueue, OneDeadlinePerIdMovedOrCancelled) {
  TimerQueue q(3);
  q.schedule(0, 50);
  q.schedule(1, 10);
  q.schedule(2, 30);
  q.schedule(1, 40);  // moved later: not due at 10 any more
  EXPECT_EQ(q.size(), 3u);
  q.cancel(2);
  q.cancel(2);  // twice is harmless
  EXPECT_FALSE(q.scheduled(2));
  EXPECT_TRUE(pop_all_due(q, 39).empty());
  EXPECT_EQ(pop_all_due(q, 1000), (std::vector<std::uint32_t>{1, 0}));
  q.schedule(2, 5);
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.scheduled(2));
}

TEST(TimerQueue, EqualDeadlinesComeOutInScheduleOrder) {
  TimerQueue q(5);
  for (std::uint32_t id : {3u, 1u, 4u, 0u, 2u}) q.schedule(id, 7);
  EXPECT_EQ(pop_all_due(q, 7), (std::vector<std::uint32_t>{3, 1, 4, 0, 2}));
}

TEST(TimerQueue, MatchesASortedListUnderRandomChanges) {
  constexpr std::uint32_t kIds = 200;
  std::mt19937 random(7);
  TimerQueue q(kIds);
  std::vector<std::int64_t> want(kIds, -1);  // -1: no deadline
  for (int step = 0; step < 20000; ++step) {
    const std::uint32_t id = random() % kIds;
    if (random() % 4 == 0) {
      q.cancel(id);
      want[id] = -1;
    } else {
      want[id] = random() % 1000;
      q.schedule(id, want[id]);
    }
    if (step % 1000 == 999) {  // drain what is due at a random time, check the order
      const std::int64_t now = random() % 1000;
      std::int64_t last = -1;
      for (std::uint32_t popped : pop_all_due(q, now)) {
        ASSERT_LE(want[popped], now);
        ASSERT_GE(want[popped], last);
        last = want[popped];
        want[popped] = -1;
      }
      for (std::uint32_t i = 0; i < kIds; ++i) ASSERT_EQ(q.scheduled(i), want[i] >= 0) << i;
      ASSERT_EQ(q.next_deadline() > now, true);
    }
  }
}

// ---- reconnect backoff ------------------------------------------------------------------

TEST(Backoff, AtOnceThenExponentialUpToTheCap) {
  const Backoff b{10'000'000, 1'000'000'000};
  EXPECT_EQ(b.delay_ns(0), 0);
  EXPECT_EQ(b.delay_ns(1), 10'000'000);
  EXPECT_EQ(b.delay_ns(2), 20'000'000);
  EXPECT_EQ(b.delay_ns(3), 40'000'000);
  EXPECT_EQ(b.delay_ns(7), 640'000'000);
  EXPECT_EQ(b.delay_ns(8), 1'000'000'000);
  EXPECT_EQ(b.delay_ns(255), 1'000'000'000);
  EXPECT_EQ(b.delay_ns(std::numeric_limits<unsigned>::max()), 1'000'000'000);
  for (unsigned f = 1; f < 300; ++f) EXPECT_LE(b.delay_ns(f - 1), b.delay_ns(f));
}

// ---- open-loop schedule -----------------------------------------------------------------

TEST(OpenLoopSchedule, SpacingAtTheRate) {
  OpenLoopSchedule s(4000);  // one request every 250 us
  constexpr std::int64_t start = 5'000'000'000;
  s.start(start);
  std::int64_t intended = 0;
  EXPECT_FALSE(s.pop_due(start - 1, &intended));
  // Polled every 10 us, as a punctual loop would: each request comes out exactly at its time.
  std::vector<std::int64_t> times;
  for (std::int64_t now = start; now < start + 1'000'000'000; now += 10'000) {
    while (s.pop_due(now, &intended)) {
      EXPECT_EQ(intended, now) << "request " << times.size();
      times.push_back(intended);
    }
  }
  ASSERT_EQ(times.size(), 4000u);
  for (std::size_t j = 0; j < times.size(); ++j) EXPECT_EQ(times[j], start + static_cast<std::int64_t>(j) * 250'000);
}

TEST(OpenLoopSchedule, NoDriftAtAnIntervalThatIsNotWholeNanoseconds) {
  OpenLoopSchedule s(3);  // 333,333,333.3 ns
  s.start(0);
  std::int64_t intended = 0;
  const std::int64_t hour = 3600LL * 1'000'000'000;
  std::uint64_t n = 0;
  while (s.pop_due(hour, &intended)) ++n;
  EXPECT_EQ(n, 3u * 3600 + 1);  // 0 s through 3600 s inclusive
  EXPECT_EQ(intended, hour);
  EXPECT_EQ(s.next_ns(), hour + 333'333'333);
}

TEST(OpenLoopSchedule, CatchesUpAfterAStallWithTheIntendedTimes) {
  OpenLoopSchedule s(1000);  // every 1 ms
  s.start(0);
  std::int64_t intended = 0;
  ASSERT_TRUE(s.pop_due(0, &intended));
  // The loop stalls for 10.5 ms: the ten requests due meanwhile all come out at once, each
  // with its own time (latency counts from there), and the schedule does not shift.
  std::vector<std::int64_t> late;
  while (s.pop_due(10'500'000, &intended)) late.push_back(intended);
  ASSERT_EQ(late.size(), 10u);
  for (std::size_t i = 0; i < late.size(); ++i) EXPECT_EQ(late[i], static_cast<std::int64_t>(i + 1) * 1'000'000);
  EXPECT_EQ(s.next_ns(), 11'000'000);
  EXPECT_EQ(s.taken(), 11u);
}

// ---- JSON reports -----------------------------------------------------------------------

TEST(ReportJson, NonFiniteNumbersAreNull) {
  RunInfo info;
  info.target = "127.0.0.1:1";
  info.mode = "open_loop";
  info.rate = std::numeric_limits<double>::infinity();
  info.connect_s = std::nan("");
  info.duration_s = -std::numeric_limits<double>::infinity();
  WorkerStats stats;
  stats.requests = 3;
  const std::string text = to_json(info, stats);
  const nlohmann::json j = nlohmann::json::parse(text);  // throws on invalid JSON
  EXPECT_TRUE(j["rate"].is_null()) << text;
  EXPECT_TRUE(j["connect_s"].is_null()) << text;
  EXPECT_TRUE(j["duration_s"].is_null()) << text;
  EXPECT_TRUE(j["pipeline"].is_null());
  EXPECT_EQ(j["requests"], 3);
  EXPECT_EQ(j["errors"].size(), kErrorKinds);
}

TEST(ReportJson, BytesThatAreNotUtf8AreReplaced) {
  RunInfo info;
  info.mode = "closed_loop";
  info.pipeline = 2;
  WorkerStats stats;
  stats.first_error = std::string("bad status line '\xff\xfe\"\\\x01 \xc3\xa9 \xe2\x82") + "'";
  stats.errors.add(ErrorKind::bad_response);
  const std::string text = to_json(info, stats);
  const nlohmann::json j = nlohmann::json::parse(text);  // the parser checks UTF-8 too
  const std::string first = j["first_error"];
  EXPECT_NE(first.find("\xef\xbf\xbd"), std::string::npos) << first;  // U+FFFD
  EXPECT_NE(first.find("\"\\\x01 \xc3\xa9 "), std::string::npos) << first;  // valid bytes kept
  EXPECT_EQ(j["pipeline"], 2);
  EXPECT_EQ(j["errors"]["bad_response"], 1);
  EXPECT_EQ(j["errors_total"], 1);
}

TEST(ServerStatsJson, ValidWhateverTheCounts) {
  ServerStats stats;
  std::string text = stats_json(stats, "epoll_lt", "127.0.0.1:1", 0);
  nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j["events_per_wait"], 0.0);
  EXPECT_EQ(j["backend"], "epoll_lt");
  stats.waits = 4;
  stats.events = 6;
  stats.count(ServerError::oversized);
  text = stats_json(stats, "b\xff", "127.0.0.1:2", 7);
  j = nlohmann::json::parse(text);
  EXPECT_DOUBLE_EQ(j["events_per_wait"].get<double>(), 1.5);
  EXPECT_EQ(j["errors"]["oversized"], 1);
  EXPECT_EQ(j["connections"]["open"], 7);
  EXPECT_EQ(j["backend"], "b\xef\xbf\xbd");
}

}  // namespace
}  // namespace pollbench::loadgen
