// The server core (bench/tcp/server.h) on every available backend, driven turn by turn from
// the test thread: the client sockets are non-blocking, so nothing here needs a second thread.
#include "server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "fds.h"
#include "listener.h"
#include "poller.h"

namespace pollbench {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kGet = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";

class ServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    raise_fd_limit();
    baseline_fds_ = open_fd_count();
    make_server(ServerConfig{});
  }

  void make_server(ServerConfig config, std::size_t body_size = 10) {
    server_.reset();
    OwnedFd listener = listen_tcp("127.0.0.1", 0);
    port_ = local_port(listener.get());
    config.body_size = body_size;
    config.limits.max_header_bytes = 1024;
    server_ = std::make_unique<Server>(make_poller(GetParam()), std::move(listener), config);
    ok_ = http::Responses(10).ok(true, false).text();
  }

  void TearDown() override {
    server_.reset();
    EXPECT_EQ(open_fd_count(), baseline_fds_) << "the server leaked file descriptors";
  }

  // A connected, non-blocking client socket.
  OwnedFd connect_client(int receive_buffer = 0) {
    OwnedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (receive_buffer > 0) {
      EXPECT_EQ(::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer), 0);
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // A loopback connect completes at once or reports EINPROGRESS until the handshake ends.
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
      EXPECT_EQ(errno, EINPROGRESS);
    }
    return fd;
  }

  // One server turn; notes the most any connection's buffers held after it.
  void turn(std::chrono::nanoseconds timeout) {
    server_->turn(timeout);
    peak_connection_memory_ = std::max(peak_connection_memory_, server_->connection_memory().largest);
  }

  // Runs server turns until `done` or two seconds pass. Returns `done()`.
  bool pump_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (!done() && std::chrono::steady_clock::now() < deadline) turn(2ms);
    return done();
  }

  // Sends everything (pumping the server while the socket is full).
  void send_all(int fd, std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
      } else {
        ASSERT_TRUE(errno == EAGAIN || errno == EINPROGRESS || errno == ENOTCONN) << std::strerror(errno);
        turn(1ms);
      }
    }
  }

  // What `fd` has received so far (non-blocking); sets *eof when the server closed it.
  static std::string receive(int fd, bool* eof = nullptr) {
    std::string out;
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (eof != nullptr) *eof = n == 0 || (n < 0 && errno == ECONNRESET);
      return out;
    }
  }

  // Reads until `bytes` have arrived (or EOF, or two seconds).
  std::string receive_bytes(int fd, std::size_t bytes, bool* eof = nullptr) {
    std::string got;
    bool closed = false;
    pump_until([&] {
      got += receive(fd, &closed);
      return got.size() >= bytes || closed;
    });
    if (eof != nullptr) *eof = closed;
    return got;
  }

  // Reads until the server closes the connection.
  std::string receive_until_eof(int fd) {
    std::string got;
    bool closed = false;
    EXPECT_TRUE(pump_until([&] {
      got += receive(fd, &closed);
      return closed;
    })) << "the server did not close the connection; got: " << got;
    return got;
  }

  std::string repeat(std::string_view s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
  }

  std::size_t baseline_fds_ = 0;
  std::uint16_t port_ = 0;
  std::unique_ptr<Server> server_;
  std::string ok_;
  std::size_t peak_connection_memory_ = 0;
};

TEST_P(ServerTest, AnswersKeepAliveRequestsOnOneConnection) {
  OwnedFd client = connect_client();
  for (int i = 0; i < 3; ++i) {
    send_all(client.get(), kGet);
    EXPECT_EQ(receive_bytes(client.get(), ok_.size()), ok_);
  }
  EXPECT_EQ(server_->stats().requests, 3U);
  EXPECT_EQ(server_->stats().accepted, 1U);
  EXPECT_EQ(server_->open_connections(), 1U);
  EXPECT_EQ(server_->stats().total_errors(), 0U);
}

TEST_P(ServerTest, PartialRequestIsAnsweredWhenItEnds) {
  OwnedFd client = connect_client();
  for (char c : kGet.substr(0, kGet.size() - 1)) {
    send_all(client.get(), std::string_view(&c, 1));
    for (int i = 0; i < 3; ++i) server_->turn(1ms);
  }
  EXPECT_EQ(receive(client.get()), "");
  EXPECT_EQ(server_->stats().requests, 0U);
  send_all(client.get(), "\n");
  EXPECT_EQ(receive_bytes(client.get(), ok_.size()), ok_);
}

TEST_P(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  OwnedFd client = connect_client();
  send_all(client.get(), repeat(kGet, 50));
  EXPECT_EQ(receive_bytes(client.get(), 50 * ok_.size()), repeat(ok_, 50));
  EXPECT_EQ(server_->stats().requests, 50U);
}

// A peer that sends far more requests than it reads: answers pile up past the socket buffer,
// the server must buffer them, stop reading, wait for writable, then resume (an edge-like
// backend will not report the unread requests again).
TEST_P(ServerTest, PeerThatDoesNotReadGetsEverythingOnceItDoes) {
  constexpr std::size_t kRequests = 20000;  // ~600 KB of requests, ~1.9 MB of answers
  ServerConfig config;
  config.max_pending_output = 4096;  // pause and resume reading many times
  config.read_chunk = 1024;
  make_server(config);
  OwnedFd client = connect_client();
  const std::string requests = repeat(kGet, kRequests);
  std::string_view unsent = requests;
  std::string got;
  bool eof = false;
  // Send without reading for as long as the kernel takes it, then read and send alternately.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((!unsent.empty() || got.size() < kRequests * ok_.size()) && !eof &&
         std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = ::send(client.get(), unsent.data(), unsent.size(), MSG_NOSIGNAL);
    if (n > 0) unsent.remove_prefix(static_cast<std::size_t>(n));
    server_->turn(1ms);
    if (n <= 0 || unsent.empty()) got += receive(client.get(), &eof);
  }
  EXPECT_FALSE(eof);
  EXPECT_EQ(got.size(), kRequests * ok_.size());
  EXPECT_EQ(server_->stats().requests, kRequests);
  EXPECT_EQ(server_->stats().total_errors(), 0U);
}

// A CR LF flood (the probe's case): blank lines count against the header limit, so the peer
// gets 431 and is closed, and its buffer never passes the stated bound on the way.
TEST_P(ServerTest, CrlfFloodGets431WithinTheMemoryBound) {
  OwnedFd client = connect_client();
  const std::string flood = repeat("\r\n", 32 * 1024);  // 64 KiB
  // In 300-byte pieces, so it piles up in the connection's buffer; the server may close (and
  // reset) before all of it is sent.
  std::string_view unsent = flood;
  std::string got;
  bool eof = false;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (!eof && std::chrono::steady_clock::now() < deadline) {
    const std::size_t piece = std::min<std::size_t>(300, unsent.size());
    const ssize_t n = piece == 0 ? 0 : ::send(client.get(), unsent.data(), piece, MSG_NOSIGNAL);
    if (n > 0) unsent.remove_prefix(static_cast<std::size_t>(n));
    turn(1ms);
    got += receive(client.get(), &eof);
  }
  EXPECT_TRUE(eof);
  EXPECT_EQ(got.rfind("HTTP/1.1 431 ", 0), 0U) << got;
  EXPECT_TRUE(pump_until([&] { return server_->open_connections() == 0; }));
  EXPECT_EQ(server_->stats().errors_of(ServerError::oversized), 1U);
  EXPECT_GE(peak_connection_memory_, 600U);  // the accounting sees the buffer (limit 1024 here)
  EXPECT_LE(peak_connection_memory_, server_->connection_memory_bound());
}

// The probe's never-reading pipeliner at the largest body: 64 KiB of GETs, nothing read.
// Answers are queued by reference, and past the unsent mark the server stops parsing, so the
// connection holds no more than the bound (no 16 MiB copy per answer) and the server answers
// only what the peer could take.
TEST_P(ServerTest, NeverReadingPipelinerAtTheLargestBodyStaysBounded) {
  make_server(ServerConfig{}, 16 * 1024 * 1024);
  OwnedFd client = connect_client();
  const std::string requests = repeat(kGet, 64 * 1024 / kGet.size());
  std::string_view unsent = requests;
  const auto deadline = std::chrono::steady_clock::now() + 1s;
  while (std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = unsent.empty() ? 0 : ::send(client.get(), unsent.data(), unsent.size(), MSG_NOSIGNAL);
    if (n > 0) unsent.remove_prefix(static_cast<std::size_t>(n));
    turn(1ms);
  }
  EXPECT_TRUE(unsent.empty()) << "the server's receive side should take 64 KiB";
  EXPECT_EQ(server_->stats().requests, 1U) << "one 16 MiB answer is already past the mark";
  EXPECT_LT(server_->stats().bytes_out, 16U * 1024 * 1024);
  EXPECT_GT(peak_connection_memory_, 0U);
  EXPECT_LE(peak_connection_memory_, server_->connection_memory_bound());
  EXPECT_LE(server_->connection_memory_bound(), 300U * 1024) << "the default bound is about 273 KiB";
  // A reset frees it all.
  linger abortive{1, 0};
  ASSERT_EQ(::setsockopt(client.get(), SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive), 0);
  client.reset();
  EXPECT_TRUE(pump_until([&] { return server_->open_connections() == 0; }));
  EXPECT_EQ(server_->connection_memory().total, 0U);
}

// Deep pipelining that alternates two kinds of answer (HTTP/1.0 keep-alive, HTTP/1.1): every
// answer is a run of its own, so the run cap, not the byte mark, pauses parsing. Nothing is
// read until the end; then every answer arrives, in order.
TEST_P(ServerTest, AlternatingAnswersAreCappedAndArriveInOrder) {
  constexpr std::size_t kPairs = 5000;
  const std::string_view get10 = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  const std::string requests = repeat(std::string(get10) + std::string(kGet), kPairs);
  const http::Responses responses(10);
  const std::string want = repeat(responses.ok(true, true).text() + ok_, kPairs);
  OwnedFd client = connect_client(4096);  // a small receive buffer fills sooner
  std::string_view unsent = requests;
  std::string got;
  bool eof = false;
  // Send until the kernel takes no more, with the server turning; only then read.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  bool reading = false;
  while (got.size() < want.size() && !eof && std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = unsent.empty() ? 0 : ::send(client.get(), unsent.data(), unsent.size(), MSG_NOSIGNAL);
    if (n > 0) unsent.remove_prefix(static_cast<std::size_t>(n));
    turn(1ms);
    EXPECT_LE(server_->connection_memory().largest, server_->connection_memory_bound());
    reading = reading || n <= 0 || unsent.empty();
    if (reading) got += receive(client.get(), &eof);
  }
  EXPECT_FALSE(eof);
  EXPECT_TRUE(got == want) << "got " << got.size() << " of " << want.size() << " bytes, or out of order";
  EXPECT_EQ(server_->stats().requests, 2 * kPairs);
  EXPECT_LE(peak_connection_memory_, server_->connection_memory_bound());
}

TEST_P(ServerTest, MalformedRequestGets400AndClose) {
  OwnedFd client = connect_client();
  send_all(client.get(), "GARBAGE\r\n\r\n");
  const std::string got = receive_until_eof(client.get());
  EXPECT_EQ(got.rfind("HTTP/1.1 400 ", 0), 0U) << got;
  EXPECT_TRUE(pump_until([&] { return server_->open_connections() == 0; }));
  EXPECT_EQ(server_->stats().errors_of(ServerError::malformed), 1U);
}

TEST_P(ServerTest, RequestsBeforeAMalformedOneAreAnswered) {
  OwnedFd client = connect_client();
  send_all(client.get(), std::string(kGet) + std::string(kGet) + "BAD\r\n\r\n" + std::string(kGet));
  const std::string got = receive_until_eof(client.get());
  EXPECT_EQ(got.rfind(ok_ + ok_ + "HTTP/1.1 400 ", 0), 0U) << got;
  EXPECT_EQ(server_->stats().requests, 2U);
}

// RFC 9110 / 9112 conformance: each request gets the answer named, then the connection closes.
// The same bytes are in tests/fuzz/corpus/http_request/ (each named by its SHA-1).
struct ConformanceCase {
  const char* name;
  std::string_view request;
  std::string_view status_line;
};
constexpr ConformanceCase kConformanceCases[] = {
    {"nul_in_value", std::string_view("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 27), "HTTP/1.1 400 "},
    {"soh_in_value", "GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n", "HTTP/1.1 400 "},
    {"del_in_value", "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", "HTTP/1.1 400 "},
    {"bare_cr_in_value", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", "HTTP/1.1 400 "},
    {"bare_cr_line_ends", "GET / HTTP/1.1\rHost: x\r\r", "HTTP/1.1 400 "},
    {"http_1_9", "GET / HTTP/1.9\r\n\r\n", "HTTP/1.1 505 "},
    {"http_2_0", "GET / HTTP/2.0\r\n\r\n", "HTTP/1.1 505 "},
    {"version_garbage", "GET / HTTP/1.x\r\n\r\n", "HTTP/1.1 400 "},
    {"method_all_tchars", "!#$%&'*+-.^_`|~ / HTTP/1.1\r\n\r\n", "HTTP/1.1 501 "},
    {"method_put", "PUT / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", "HTTP/1.1 501 "},
    {"method_not_token", "GE\"T / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "},
    {"expect_unknown", "GET / HTTP/1.1\r\nExpect: the-unexpected\r\n\r\n", "HTTP/1.1 417 "},
    {"expect_continue_body_too_large", "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n",
     "HTTP/1.1 417 "},
};

TEST_P(ServerTest, ConformanceCasesGetTheirStatusAndClose) {
  for (const ConformanceCase& test : kConformanceCases) {
    OwnedFd client = connect_client();
    send_all(client.get(), test.request);
    const std::string got = receive_until_eof(client.get());
    EXPECT_EQ(got.rfind(test.status_line, 0), 0U) << test.name << ": " << got;
  }
  EXPECT_TRUE(pump_until([&] { return server_->open_connections() == 0; }));
  EXPECT_EQ(server_->stats().requests, 0U);
}

// HEAD gets the GET answer's head, Content-Length included, and no body: two on one
// connection arrive as exactly two heads (a body would desync a keep-alive client).
TEST_P(ServerTest, HeadGetsTheHeadOnly) {
  OwnedFd client = connect_client();
  send_all(client.get(), "HEAD / HTTP/1.1\r\nHost: t\r\n\r\nHEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string head = http::Responses(10).ok(true, false, true).text();
  bool eof = false;
  const std::string got = receive_bytes(client.get(), 2 * head.size() + 1, &eof);
  EXPECT_EQ(got, head + head);
  EXPECT_NE(head.find("Content-Length: 10\r\n"), std::string::npos) << head;
  EXPECT_FALSE(eof);
  send_all(client.get(), kGet);
  EXPECT_EQ(receive_bytes(client.get(), ok_.size()), ok_) << "the connection stays in step after HEAD";
}

TEST_P(ServerTest, ExpectContinueGets100BeforeTheBody) {
  OwnedFd client = connect_client();
  send_all(client.get(), "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  EXPECT_EQ(receive_bytes(client.get(), interim.size()), interim);
  send_all(client.get(), "hello");
  EXPECT_EQ(receive_bytes(client.get(), ok_.size()), ok_);
  EXPECT_EQ(server_->stats().requests, 1U);
}

// A request still arriving past header_timeout gets 408 and is closed; a connection that sent
// nothing is idle, not slow, and stays (idle_timeout is off by default).
TEST_P(ServerTest, HeaderTimeoutClosesStalledRequestsOnly) {
  ServerConfig config;
  config.header_timeout = 150ms;
  make_server(config);
  OwnedFd idle = connect_client();
  OwnedFd slow = connect_client();
  send_all(slow.get(), "GET / HTTP/1.1\r\nHos");
  const auto start = std::chrono::steady_clock::now();
  const std::string got = receive_until_eof(slow.get());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
  EXPECT_EQ(got.rfind("HTTP/1.1 408 ", 0), 0U) << got;
  EXPECT_EQ(server_->stats().errors_of(ServerError::header_timeout), 1U);
  EXPECT_EQ(server_->open_connections(), 1U);
  send_all(idle.get(), kGet);
  EXPECT_EQ(receive_bytes(idle.get(), ok_.size()), ok_);
}

TEST_P(ServerTest, IdleTimeoutClosesSilentConnectionsWhenSet) {
  ServerConfig config;
  config.idle_timeout = 150ms;
  make_server(config);
  OwnedFd idle = connect_client();
  EXPECT_TRUE(pump_until([&] { return server_->stats().accepted == 1; }));
  receive_until_eof(idle.get());
  EXPECT_EQ(server_->stats().idle_closed, 1U);
  EXPECT_EQ(server_->open_connections(), 0U);
}

// Fills this process's fd table (a soft limit just above the fds open, then dups up to it), and
// gives it back.
class FullFdTable {
 public:
  FullFdTable() {
    EXPECT_EQ(::getrlimit(RLIMIT_NOFILE, &saved_), 0);
    rlimit full = saved_;
    full.rlim_cur = open_fd_count() + 4;
    EXPECT_EQ(::setrlimit(RLIMIT_NOFILE, &full), 0);
    for (OwnedFd fd(::fcntl(0, F_DUPFD_CLOEXEC, 0)); fd; fd = OwnedFd(::fcntl(0, F_DUPFD_CLOEXEC, 0))) {
      fillers_.push_back(std::move(fd));
    }
  }
  ~FullFdTable() { release(); }
  FullFdTable(const FullFdTable&) = delete;
  FullFdTable& operator=(const FullFdTable&) = delete;
  void release() {
    if (fillers_.empty()) return;
    fillers_.clear();
    EXPECT_EQ(::setrlimit(RLIMIT_NOFILE, &saved_), 0);
  }

 private:
  rlimit saved_{};
  std::vector<OwnedFd> fillers_;
};

// At the fd limit, the connection that has waited longest (here: an idle one, past
// evict_after) is closed to make room for the new one, which is served.
TEST_P(ServerTest, AtTheFdLimitTheLongestWaitingConnectionMakesRoom) {
  ServerConfig config;
  config.evict_after = 0ms;
  make_server(config);
  OwnedFd old = connect_client();
  ASSERT_TRUE(pump_until([&] { return server_->open_connections() == 1; }));
  OwnedFd fresh = connect_client();
  {
    FullFdTable full;
    ASSERT_TRUE(pump_until([&] { return server_->stats().accepted == 2; }));
  }
  EXPECT_EQ(server_->stats().errors_of(ServerError::evicted), 1U);
  EXPECT_EQ(server_->stats().errors_of(ServerError::fd_limit), 0U);
  receive_until_eof(old.get());
  send_all(fresh.get(), kGet);
  EXPECT_EQ(receive_bytes(fresh.get(), ok_.size()), ok_);
}

// The last resort at the fd limit: no connection old enough to close for room and no spare (as
// when another loop's accept took its slot). The loop stops watching the listener for
// kAcceptPause instead of being woken by it over and over, and once fds are free again it
// reopens the spare and serves the connection that waited.
TEST_P(ServerTest, WithoutRoomOrSpareTheLoopPausesInsteadOfSpinning) {
  auto reserve = std::make_shared<FdReserve>();
  ServerConfig config;
  config.fd_reserve = reserve;
  config.evict_after = std::chrono::hours(1);
  make_server(config);
  OwnedFd client = connect_client();  // its fd before the table is full; it waits in the backlog
  reserve->give_up_spare();
  FullFdTable full;
  const std::uint64_t waits_before = server_->stats().waits;
  const auto until = std::chrono::steady_clock::now() + 350ms;
  while (std::chrono::steady_clock::now() < until) server_->turn(200ms);
  const std::uint64_t waits = server_->stats().waits - waits_before;
  full.release();
  EXPECT_GE(server_->stats().accept_pauses, 1U);
  EXPECT_LT(waits, 100U) << "the loop was woken again and again by a listener it could not serve";
  EXPECT_EQ(server_->stats().accepted, 0U);
  EXPECT_TRUE(pump_until([&] { return server_->stats().accepted == 1; })) << "accepting never resumed";
  send_all(client.get(), kGet);
  EXPECT_EQ(receive_bytes(client.get(), ok_.size()), ok_);
  EXPECT_TRUE(reserve->has_spare());
}

TEST_P(ServerTest, OversizedHeadersGet431AndClose) {
  OwnedFd client = connect_client();
  send_all(client.get(), "GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a'));
  const std::string got = receive_until_eof(client.get());
  EXPECT_EQ(got.rfind("HTTP/1.1 431 ", 0), 0U) << got;
  EXPECT_TRUE(pump_until([&] { return server_->open_connections() == 0; }));
  EXPECT_EQ(server_->stats().errors_of(ServerError::oversized), 1U);
}

TEST_P(ServerTest, ConnectionCloseIsHonoured) {
  OwnedFd client = connect_client();
  send_all(client.get(), "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::string got = receive_until_eof(client.get());
  EXPECT_EQ(got, http::Responses(10).ok(false, false).text());
  EXPECT_TRUE(pump_until([&] { return server_->open_connections() == 0; }));
}

TEST_P(ServerTest, HalfClosedPeerGetsItsAnswersThenEof) {
  OwnedFd client = connect_client();
  send_all(client.get(), repeat(kGet, 2));
  ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);
  EXPECT_EQ(receive_until_eof(client.get()), repeat(ok_, 2));
  EXPECT_TRUE(pump_until([&] { return server_->open_connections() == 0; }));
  EXPECT_EQ(server_->stats().total_errors(), 0U);
}

TEST_P(ServerTest, ResetConnectionIsClosed) {
  OwnedFd client = connect_client();
  send_all(client.get(), "GET / HT");  // half a request, then a reset
  ASSERT_TRUE(pump_until([&] { return server_->open_connections() == 1; }));
  for (int i = 0; i < 3; ++i) server_->turn(1ms);
  linger abortive{1, 0};
  ASSERT_EQ(::setsockopt(client.get(), SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive), 0);
  client.reset();  // RST
  EXPECT_TRUE(pump_until([&] { return server_->open_connections() == 0; }));
  EXPECT_EQ(server_->stats().closed, 1U);
}

TEST_P(ServerTest, PeerClosingMidRequestCountsAsUnfinished) {
  OwnedFd client = connect_client();
  send_all(client.get(), "GET / HTTP/1.1\r\nHo");
  ASSERT_TRUE(pump_until([&] { return server_->open_connections() == 1; }));
  client.reset();
  EXPECT_TRUE(pump_until([&] { return server_->open_connections() == 0; }));
  EXPECT_EQ(server_->stats().errors_of(ServerError::unfinished), 1U);
}

TEST_P(ServerTest, IdleAndUnfinishedConnectionsDoNotStallOthers) {
  std::vector<OwnedFd> idle;
  for (int i = 0; i < 100; ++i) idle.push_back(connect_client());
  OwnedFd stuck = connect_client();
  send_all(stuck.get(), "GET / HTTP/1.1\r\n");  // never finished
  OwnedFd busy = connect_client();
  for (int i = 0; i < 20; ++i) {
    send_all(busy.get(), kGet);
    ASSERT_EQ(receive_bytes(busy.get(), ok_.size()), ok_) << "request " << i;
  }
  EXPECT_EQ(server_->open_connections(), 102U);
  EXPECT_EQ(server_->stats().requests, 20U);
}

TEST_P(ServerTest, ManyConnectionsAtOnceAreAllAccepted) {
  std::vector<OwnedFd> clients;
  for (int i = 0; i < 300; ++i) clients.push_back(connect_client());
  EXPECT_TRUE(pump_until([&] { return server_->open_connections() == 300; })) << server_->open_connections();
  clients.clear();
  EXPECT_TRUE(pump_until([&] { return server_->open_connections() == 0; })) << server_->open_connections();
  EXPECT_EQ(server_->stats().accepted, 300U);
  EXPECT_EQ(server_->stats().closed, 300U);
}

TEST_P(ServerTest, DestructorClosesOpenConnections) {
  std::vector<OwnedFd> clients;
  for (int i = 0; i < 20; ++i) clients.push_back(connect_client());
  ASSERT_TRUE(pump_until([&] { return server_->open_connections() == 20; }));
  server_.reset();  // TearDown checks the fd count
  bool eof = false;
  receive(clients[0].get(), &eof);
  EXPECT_TRUE(eof);
}

TEST_P(ServerTest, StopFdEndsTheLoop) {
  FdPair pipe = make_pipe();
  server_->watch_stop_fd(pipe.a.get());
  server_->turn(0ms);
  EXPECT_FALSE(server_->stop_requested());
  write_byte(pipe.b.get());
  EXPECT_TRUE(pump_until([&] { return server_->stop_requested(); }));
  server_.reset();  // removes the stop fd from the poller before the pipe closes
}

INSTANTIATE_TEST_SUITE_P(Backends, ServerTest, ::testing::ValuesIn(available_backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace pollbench
