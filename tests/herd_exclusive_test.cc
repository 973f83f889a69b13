// Poller::add_exclusive and Server's ListenerWatch (what pollserver --accept builds on), on every
// available backend, with real listening sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include "fd.h"
#include "listener.h"
#include "poller.h"
#include "server.h"

namespace pollbench {
namespace {

using namespace std::chrono_literals;

OwnedFd connect_to(std::uint16_t port) {
  OwnedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
  return fd;
}

// Waits up to about a second (a few bounded waits: a wait may return early) for `token`.
bool reported(Poller& poller, Token token) {
  Events events(8);
  for (int i = 0; i < 20; ++i) {
    poller.wait(events, 50ms);
    for (const Event& e : events) {
      if (e.token == token && e.readable()) return true;
    }
  }
  return false;
}

class PollerExclusive : public ::testing::TestWithParam<std::string> {};

TEST_P(PollerExclusive, GrantedMeansWatchedElseNothingRegistered) {
  auto poller = make_poller(GetParam());
  OwnedFd listener = listen_tcp("127.0.0.1", 0);
  const bool granted = poller->add_exclusive(listener.get(), 7);
  if (!granted) {
    EXPECT_EQ(poller->watched(), 0U);
    EXPECT_NO_THROW(poller->add(listener.get(), Interest::readable, 7));  // nothing was left behind
    return;
  }
  EXPECT_EQ(poller->watched(), 1U);
  OwnedFd client = connect_to(local_port(listener.get()));
  EXPECT_TRUE(reported(*poller, 7));
  // The kernel refuses to modify an exclusive registration.
  EXPECT_THROW(poller->modify(listener.get(), Interest::readable, 8), std::system_error);
  poller->remove(listener.get());
  EXPECT_EQ(poller->watched(), 0U);
}

TEST_P(PollerExclusive, TwiceIsExistsOrRefused) {
  auto poller = make_poller(GetParam());
  OwnedFd listener = listen_tcp("127.0.0.1", 0);
  if (!poller->add_exclusive(listener.get(), 1)) GTEST_SKIP() << GetParam() << " has no exclusive wakeup";
  try {
    poller->add_exclusive(listener.get(), 2);
    ADD_FAILURE() << "a second add_exclusive of the same fd succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EEXIST);
  }
  EXPECT_EQ(poller->watched(), 1U);
}

TEST_P(PollerExclusive, ServerAcceptsThroughEachListenerWatch) {
  // Exclusive: served where granted, refused with invalid_argument where not.
  {
    OwnedFd listener = listen_tcp("127.0.0.1", 0);
    const std::uint16_t port = local_port(listener.get());
    const bool can = make_poller(GetParam())->add_exclusive(listener.get(), 1);
    ListenerWatch exclusive;
    exclusive.exclusive = true;
    if (!can) {
      EXPECT_THROW(Server(make_poller(GetParam()), std::move(listener), {}, exclusive), std::invalid_argument);
    } else {
      Server server(make_poller(GetParam()), std::move(listener), {}, exclusive);
      OwnedFd client = connect_to(port);
      for (int i = 0; i < 20 && server.stats().accepted == 0; ++i) server.turn(50ms);
      EXPECT_EQ(server.stats().accepted, 1U);
    }
  }
  // Through a shared epoll instance that holds the listener (shared_epoll_* modes).
  OwnedFd listener = listen_tcp("127.0.0.1", 0);
  const std::uint16_t port = local_port(listener.get());
  OwnedFd shared(::epoll_create1(EPOLL_CLOEXEC));
  ASSERT_TRUE(shared);
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.fd = listener.get();
  ASSERT_EQ(::epoll_ctl(shared.get(), EPOLL_CTL_ADD, listener.get(), &e), 0);
  ListenerWatch via_epoll;
  via_epoll.fd = shared.get();
  Server server(make_poller(GetParam()), std::move(listener), {}, via_epoll);
  EXPECT_EQ(server.poller().watched(), 1U);
  OwnedFd a = connect_to(port);
  OwnedFd b = connect_to(port);
  for (int i = 0; i < 20 && server.stats().accepted < 2; ++i) server.turn(50ms);
  EXPECT_EQ(server.stats().accepted, 2U);
}

// A stale registration (an fd closed before remove() while a dup keeps its file) makes epoll
// rebuild its interest set; an exclusive registration must come back exclusive, and a refused
// modify() must leave it working.
TEST_P(PollerExclusive, StaysExclusiveAfterStaleRegistration) {
  auto poller = make_poller(GetParam());
  OwnedFd listener = listen_tcp("127.0.0.1", 0);
  if (!poller->add_exclusive(listener.get(), 1)) GTEST_SKIP() << GetParam() << " has no exclusive wakeup";
  EXPECT_THROW(poller->modify(listener.get(), Interest::readable, 2), std::system_error);

  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  OwnedFd reader(pair[0]), writer(pair[1]);
  poller->add(reader.get(), Interest::readable, 3);
  OwnedFd keep(::dup(reader.get()));
  ASSERT_TRUE(keep) << "dup";
  const int number = reader.get();
  reader.reset();  // closed before remove(): the dup keeps the file, and the kernel may keep a registration
  poller->remove(number);
  ASSERT_EQ(::write(writer.get(), "x", 1), 1);
  Events events(8);
  for (int i = 0; i < 3; ++i) {
    poller->wait(events, 10ms);
    for (const Event& e : events) EXPECT_NE(e.token, 3U) << "an event for a removed registration";
  }

  EXPECT_THROW(poller->modify(listener.get(), Interest::readable, 2), std::system_error)
      << "the listener is no longer registered exclusive";
  OwnedFd client = connect_to(local_port(listener.get()));
  EXPECT_TRUE(reported(*poller, 1));
}

// The capability exists where the kernel has it: epoll must grant it.
TEST(PollerExclusiveEpoll, Granted) {
  for (const char* name : {"epoll_lt", "epoll_et"}) {
    OwnedFd listener = listen_tcp("127.0.0.1", 0);
    EXPECT_TRUE(make_poller(name)->add_exclusive(listener.get(), 1)) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, PollerExclusive, ::testing::ValuesIn(available_backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace pollbench
