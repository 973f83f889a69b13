// Conformance: timeouts, and bad input giving clear errors (never a crash): unknown backend
// names, invalid fds, adding twice, modifying or removing what is not registered, more fds
// than the limit.
#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>
#include <system_error>
#include <thread>

#include "test_util.h"

namespace pollbench::conformance {
namespace {

using Clock = std::chrono::steady_clock;

// --- timeouts --------------------------------------------------------------------------

TEST_P(PollerTest, ZeroTimeoutReturnsAtOnce) {
  FdPair idle = make_pipe();
  FdPair ready = make_pipe();
  poller->add(idle.a.get(), Interest::readable, 1);
  poller->add(ready.a.get(), Interest::readable, 2);

  auto start = Clock::now();
  EXPECT_EQ(poller->wait(events, 0ns), 0u);
  EXPECT_LT(Clock::now() - start, 50ms) << "nothing ready";

  write_byte(ready.b.get());
  start = Clock::now();
  poller->wait(events, 0ns);
  EXPECT_LT(Clock::now() - start, 50ms) << "one fd ready";
  Reports r;
  collect(events, r);
  EXPECT_TRUE(reported(r, ready.a.get(), kReadable)) << "a zero timeout still reports what is ready: " << describe(r);
}

std::string in_us(Clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(d).count()) + " us";
}

// Nothing in this process interrupts the test thread (the io_uring probe runs on a thread of
// its own), so every wait lasts its full timeout: an early return is a failure.
TEST_P(PollerTest, ShortTimeoutWaitsAboutThatLong) {
  FdPair idle = make_pipe();
  poller->add(idle.a.get(), Interest::readable, 1);
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto start = Clock::now();
    ASSERT_EQ(poller->wait(events, 30ms), 0u);
    const auto elapsed = Clock::now() - start;
    EXPECT_GE(elapsed, 30ms) << "wait " << attempt << " of 30 ms returned after " << in_us(elapsed);
    ASSERT_LT(elapsed, 1s);
  }
}

// A positive timeout is not cut short: one below the mechanism's resolution (ms for poll and
// epoll) is rounded up, never down to a busy 0.
TEST_P(PollerTest, TinyTimeoutIsRoundedUp) {
  FdPair idle = make_pipe();
  poller->add(idle.a.get(), Interest::readable, 1);
  constexpr int kWaits = 10;
  std::string durations;
  int short_waits = 0;
  const auto start = Clock::now();
  for (int i = 0; i < kWaits; ++i) {
    const auto wait_start = Clock::now();
    EXPECT_EQ(poller->wait(events, 999us), 0u);
    const auto elapsed = Clock::now() - wait_start;
    if (elapsed < 999us) ++short_waits;
    durations += in_us(elapsed) + " ";
  }
  EXPECT_EQ(short_waits, 0) << "waits of 999 us took: " << durations;
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST_P(PollerTest, ForeverReturnsWhenAWriterWrites) {
  FdPair pipe = make_pipe();
  poller->add(pipe.a.get(), Interest::readable, 3);
  const auto start = Clock::now();
  std::thread writer([&pipe] {
    std::this_thread::sleep_for(20ms);
    write_byte(pipe.b.get());
  });
  Reports r = wait_until(*poller, events, [&](const Reports& seen) { return reported(seen, pipe.a.get()); },
                         kMaxWaits, kForever);
  const auto elapsed = Clock::now() - start;
  writer.join();
  ASSERT_TRUE(reported(r, pipe.a.get(), kReadable)) << describe(r);
  EXPECT_EQ(r.at(pipe.a.get()).tokens, std::set<Token>{3});
  EXPECT_GE(elapsed, 19ms) << "the data was written only after 20 ms";
}

// --- bad input -------------------------------------------------------------------------

// Runs `call`, which must throw std::system_error with `code` and a message naming the fd.
template <class Call>
void expect_errno(Call call, std::errc code, int fd, const char* what) {
  try {
    call();
    ADD_FAILURE() << what << ": no error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), code) << what << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find("fd=" + std::to_string(fd)), std::string::npos)
        << what << ": the message should name the fd: " << e.what();
  }
}

TEST_P(PollerTest, RejectsInvalidFds) {
  expect_errno([&] { poller->add(-1, Interest::readable, 1); }, std::errc::bad_file_descriptor, -1, "add(-1)");
  constexpr int kFar = 1 << 24;  // beyond any fd limit
  expect_errno([&] { poller->add(kFar, Interest::readable, 1); }, std::errc::bad_file_descriptor, kFar,
               "add(fd beyond the limit)");
  EXPECT_EQ(poller->watched(), 0u);
  EXPECT_EQ(poller->wait(events, 0ns), 0u) << "refused fds leave nothing behind";
}

// An fd open with O_PATH passes the registry's fcntl check, but the kernel refuses to poll it:
// add() reports EBADF and leaves nothing registered. A backend whose interest set is its own
// array (select, poll) only finds out in a wait.
TEST_P(PollerTest, AddThatTheKernelRefusesLeavesNothingBehind) {
  if (backend_info(backend()).traits.interest == InterestSet::user_array) {
    GTEST_SKIP() << backend() << " asks the kernel only in a wait";
  }
  OwnedFd path(::open("/", O_PATH | O_CLOEXEC));
  ASSERT_TRUE(path) << "open(/, O_PATH)";
  expect_errno([&] { poller->add(path.get(), Interest::readable, 1); }, std::errc::bad_file_descriptor, path.get(),
               "add(O_PATH fd)");
  EXPECT_EQ(poller->watched(), 0u);
  EXPECT_EQ(poller->wait(events, 0ns), 0u) << "the refused fd is not reported";
  FdPair pipe = make_pipe();  // the same fd number can be registered again later
  path.reset();
  poller->add(pipe.a.get(), Interest::readable, 2);
  write_byte(pipe.b.get());
  Reports r = wait_for(*poller, events, pipe.a.get(), kReadable);
  EXPECT_TRUE(reported(r, pipe.a.get(), kReadable)) << describe(r);
}

// A closed fd (below the limit). Registration must cost only the mechanism's own work, so no
// backend asks the kernel whether the fd is open beyond what its mechanism does (poller.h):
// epoll_ctl and io_uring refuse it at add() with EBADF; select and poll make no system call
// at registration, so they accept it and report it with `error` at the next wait, exactly as
// an fd closed while registered, after which remove() succeeds.
TEST_P(PollerTest, ClosedFdIsRefusedAtAddOrReportedAtTheNextWait) {
  const int closed = make_pipe().a.get();  // both ends closed again at once
  const bool reported_at_wait = backend_info(backend()).traits.interest == InterestSet::user_array;
  if (!reported_at_wait) {
    expect_errno([&] { poller->add(closed, Interest::readable, 1); }, std::errc::bad_file_descriptor, closed,
                 "add(closed fd)");
    EXPECT_EQ(poller->watched(), 0u);
    EXPECT_EQ(poller->wait(events, 0ns), 0u) << "a refused fd leaves nothing behind";
    return;
  }
  ASSERT_NO_THROW(poller->add(closed, Interest::readable, 7));
  EXPECT_EQ(poller->watched(), 1u);
  ASSERT_EQ(poller->wait(events, 0ns), 1u) << "the next wait reports the closed fd";
  EXPECT_EQ(events[0].fd, closed);
  EXPECT_EQ(events[0].token, 7u);
  EXPECT_TRUE(events[0].error()) << "ready bits " << int{events[0].ready};
  EXPECT_NO_THROW(poller->remove(closed));
  EXPECT_EQ(poller->watched(), 0u);
  EXPECT_EQ(poller->wait(events, 0ns), 0u) << "removed, it is gone";
}

TEST_P(PollerTest, RejectsAddingTwice) {
  FdPair pipe = make_pipe();
  const int fd = pipe.a.get();
  poller->add(fd, Interest::readable, 1);
  expect_errno([&] { poller->add(fd, Interest::writable, 2); }, std::errc::file_exists, fd, "second add");
  EXPECT_EQ(poller->watched(), 1u);

  write_byte(pipe.b.get());  // the first registration still stands, untouched
  Reports r = wait_for(*poller, events, fd, kReadable);
  ASSERT_TRUE(reported(r, fd, kReadable)) << describe(r);
  EXPECT_EQ(r.at(fd).tokens, std::set<Token>{1});
}

TEST_P(PollerTest, RejectsModifyingOrRemovingUnknownFds) {
  FdPair pipe = make_pipe();
  const int fd = pipe.a.get();  // open, but not registered
  expect_errno([&] { poller->modify(fd, Interest::readable, 1); }, std::errc::no_such_file_or_directory, fd,
               "modify of an unregistered fd");
  expect_errno([&] { poller->remove(fd); }, std::errc::no_such_file_or_directory, fd, "remove of an unregistered fd");
  for (int bad : {-1, 1 << 24}) {
    EXPECT_THROW(poller->modify(bad, Interest::readable, 1), std::system_error) << "modify(" << bad << ")";
    EXPECT_THROW(poller->remove(bad), std::system_error) << "remove(" << bad << ")";
  }

  poller->add(fd, Interest::readable, 1);
  poller->remove(fd);
  expect_errno([&] { poller->remove(fd); }, std::errc::no_such_file_or_directory, fd, "second remove");
  expect_errno([&] { poller->modify(fd, Interest::readable, 1); }, std::errc::no_such_file_or_directory, fd,
               "modify after remove");
  EXPECT_EQ(poller->watched(), 0u);
}

// The behaviour each trigger promises is tested by the readiness tests, which branch on
// trigger(); here the poller must say what its declared traits say.
TEST_P(PollerTest, ReportsItsNameAndDeclaredTrigger) {
  EXPECT_EQ(poller->name(), backend());
  EXPECT_EQ(poller->trigger(), backend_info(backend()).traits.trigger);
}

// --- the factory and the fd limit (not per backend) ------------------------------------

// Every entry is declared whole: a unique name matching its traits, a raw family, and a
// reason where it cannot run. backend_info() finds each and refuses an unknown name.
TEST(PollerFactory, ListsEveryBackendOnceWithItsTraits) {
  std::set<std::string> names;
  ASSERT_FALSE(backends().empty());
  for (const BackendInfo& b : backends()) {
    EXPECT_TRUE(names.insert(b.name).second) << b.name << " listed twice";
    EXPECT_EQ(b.traits.name, b.name);
    EXPECT_NE(std::string_view(b.traits.raw), "") << b.name << " names no raw family";
    EXPECT_EQ(&backend_info(b.name), &b);
    if (!b.available) {
      EXPECT_FALSE(b.reason.empty()) << b.name << " is unavailable and should say why";
    }
  }
  EXPECT_THROW(backend_info("no_such_backend"), std::invalid_argument);
  for (const std::string& name : available_backends()) EXPECT_EQ(make_poller(name)->name(), name);
}

TEST(PollerFactory, UnavailableBackendSaysWhy) {
  for (const BackendInfo& b : backends()) {
    if (b.available) continue;
    try {
      make_poller(b.name);
      ADD_FAILURE() << b.name << " is unavailable, yet make_poller made it";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(b.reason), std::string::npos) << e.what();
    }
  }
}

TEST(PollerFactory, UnknownNameListsTheValidOnes) {
  for (const char* bad : {"kqueue", "", "EPOLL_LT", "epoll"}) {
    try {
      make_poller(bad);
      ADD_FAILURE() << "'" << bad << "' accepted";
    } catch (const std::invalid_argument& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(std::string("'") + bad + "'"), std::string::npos) << message;
      for (const BackendInfo& b : backends()) EXPECT_NE(message.find(b.name), std::string::npos) << message;
    }
  }
}

TEST(FdLimit, RaisedToTheHardLimit) {
  const FdLimit limit = raise_fd_limit();
  EXPECT_GT(limit.soft, 0u);
  EXPECT_LE(limit.soft, limit.hard);
  if (limit.hard < (1u << 20)) {  // an infinite hard limit is capped at nr_open instead
    EXPECT_EQ(limit.soft, limit.hard);
  }
  EXPECT_GT(fds_available(), 0u);
}

TEST(FdLimit, AskingForMoreThanTheLimitNamesIt) {
  const FdLimit limit = raise_fd_limit();
  try {
    require_fds(limit.soft + 1, "this test");
    FAIL() << "require_fds(limit + 1) did not throw";
  } catch (const FdLimitError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(std::to_string(limit.soft)), std::string::npos) << message;
    EXPECT_NE(message.find("this test"), std::string::npos) << message;
  }
  EXPECT_NO_THROW(require_fds(16, "a few"));
}

}  // namespace
}  // namespace pollbench::conformance
