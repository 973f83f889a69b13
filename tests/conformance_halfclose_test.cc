// Conformance: a TCP peer that half-closes (shutdown(SHUT_WR) after its data), on every
// backend, as a server meets it: the FIN is reported, and once the server has read it,
// removed the socket and closed it, the peer gets its EOF.
//
// The second half is the minimal reproducer of a server bug seen only with io_uring's
// deferred task work: the FIN's wakeup was still queued when the server removed the socket,
// so IORING_OP_POLL_REMOVE refused (-EALREADY), the poll stayed alive holding the file, and
// close() never sent the server's FIN.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "test_util.h"

namespace pollbench::conformance {
namespace {

using Clock = std::chrono::steady_clock;

// Reads the non-blocking `fd` until EOF, for at most two seconds. Returns the bytes read, or
// -1 if EOF did not come.
long read_to_eof(int fd) {
  long total = 0;
  char buf[4096];
  const auto deadline = Clock::now() + 2s;
  while (Clock::now() < deadline) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return total;
    if (n > 0) {
      total += n;
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 10);
  }
  return -1;
}

void send_all(int fd, const std::string& data) {
  ASSERT_EQ(::send(fd, data.data(), data.size(), MSG_NOSIGNAL), static_cast<ssize_t>(data.size()));
}

// The FIN that arrives after the data has been read is reported (readable or hangup).
TEST_P(PollerTest, HalfClosedPeerIsReported) {
  FdPair tcp = make_tcp_pair();
  const int server = tcp.a.get();
  poller->add(server, Interest::readable, 7);
  send_all(tcp.b.get(), "GET / HTTP/1.1\r\n\r\n");
  Reports r = wait_for(*poller, events, server, kReadable);
  ASSERT_TRUE(reported(r, server, kReadable)) << describe(r);
  char buf[256];
  ASSERT_GT(::recv(server, buf, sizeof buf, MSG_DONTWAIT), 0);

  ASSERT_EQ(::shutdown(tcp.b.get(), SHUT_WR), 0);
  r = wait_for(*poller, events, server);
  ASSERT_TRUE(reported(r, server)) << "the peer's FIN was never reported: " << describe(r);
  EXPECT_EQ(::recv(server, buf, sizeof buf, MSG_DONTWAIT), 0) << "the report was the FIN: EOF";
}

// The server reads data and FIN in one go (its wakeup not yet handled by the poller), removes
// the socket and closes it: the peer must see EOF, i.e. no request still holds the socket.
TEST_P(PollerTest, HalfClosedPeerGetsEofAfterRemoveAndClose) {
  for (int round = 0; round < 20; ++round) {
    FdPair tcp = make_tcp_pair();
    const int server = tcp.a.get();
    poller->add(server, Interest::readable, 8);
    send_all(tcp.b.get(), "GET / HTTP/1.1\r\n\r\n");
    Reports r = wait_for(*poller, events, server, kReadable);
    ASSERT_TRUE(reported(r, server, kReadable)) << describe(r);

    ASSERT_EQ(::shutdown(tcp.b.get(), SHUT_WR), 0);  // the FIN wakes the poll; nobody waits yet
    ASSERT_EQ(read_to_eof(server), 18) << "round " << round << ": the server reads the request, then EOF";
    poller->remove(server);
    tcp.a.reset();

    EXPECT_EQ(read_to_eof(tcp.b.get()), 0) << "round " << round
                                            << ": the peer never got EOF: the closed socket is still held open";
    EXPECT_EQ(poller->watched(), 0u);
  }
}

}  // namespace
}  // namespace pollbench::conformance
