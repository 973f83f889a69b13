// Conformance at scale: 10,000 registered fds with a few ready, an Events buffer smaller than
// the ready count, removing some of many fds, a storm of wakeups between waits, Events
// cleared by every wait, and registering fds up to the fd limit.
#include <unistd.h>

#include <cstdio>
#include <system_error>
#include <vector>

#include "test_util.h"

namespace pollbench::conformance {
namespace {

// Tokens unlike the fd numbers, so a backend that confuses the two is caught.
Token token_of(std::size_t index) { return 1'000'000 + index; }

// 5,000 pipes: both ends registered for readable, so 10,000 fds are watched; a write end never
// becomes readable, so only the read ends written to are ready. Their numbers run far above
// FD_SETSIZE (1024), which select must handle with its own fd-set words.
TEST_P(PollerTest, TenThousandFdsFewReady) {
  constexpr std::size_t kPipes = 5000;
  try {
    require_fds(2 * kPipes + 64, "TenThousandFdsFewReady");
  } catch (const FdLimitError& e) {
    GTEST_SKIP() << e.what();
  }
  std::vector<FdPair> pipes;
  pipes.reserve(kPipes);
  for (std::size_t i = 0; i < kPipes; ++i) {
    pipes.push_back(make_pipe());
    poller->add(pipes[i].a.get(), Interest::readable, token_of(2 * i));
    poller->add(pipes[i].b.get(), Interest::readable, token_of(2 * i + 1));
  }
  ASSERT_EQ(poller->watched(), 2 * kPipes);
  Reports r = wait_quietly(*poller, events);
  EXPECT_TRUE(r.empty()) << "nothing written yet: " << describe(r);

  // The first, around FD_SETSIZE, a few in between, the last.
  const std::vector<std::size_t> ready = {0, 509, 510, 2222, 4321, kPipes - 1};
  std::map<int, Token> expected;  // fd -> token
  for (std::size_t i : ready) {
    write_byte(pipes[i].b.get());
    expected[pipes[i].a.get()] = token_of(2 * i);
  }
  EXPECT_GT(pipes.back().a.get(), 9000) << "fd numbers should run far above FD_SETSIZE";

  r = wait_until(*poller, events, [&](const Reports& seen) {
    for (const auto& [fd, token] : expected) {
      if (!reported(seen, fd, kReadable)) return false;
    }
    return true;
  });
  r.merge(wait_quietly(*poller, events));  // anything else that turns up
  ASSERT_EQ(r.size(), expected.size()) << "exactly the ready fds: " << describe(r);
  for (const auto& [fd, token] : expected) {
    ASSERT_TRUE(reported(r, fd, kReadable)) << "fd " << fd << ": " << describe(r);
    EXPECT_EQ(r.at(fd).tokens, std::set<Token>{token}) << "fd " << fd;
  }
}

// A buffer of 3 and 8 ready fds: a wait reports at most 3, and later waits report the rest.
// First the caller drains what it was told about, as a real loop does, so level-triggered
// backends move on too. Then, for edge-triggered backends, without draining: each fd is
// reported exactly once across the waits, none lost because the buffer was full.
TEST_P(PollerTest, SmallBufferReportsTheRestLater) {
  std::vector<FdPair> pipes(8);
  std::map<int, Token> expected;
  for (std::size_t i = 0; i < pipes.size(); ++i) {
    pipes[i] = make_pipe();
    poller->add(pipes[i].a.get(), Interest::readable, token_of(i));
    write_byte(pipes[i].b.get());
    expected[pipes[i].a.get()] = token_of(i);
  }
  Events small(3);
  Reports all;
  for (int i = 0; i < kMaxWaits && all.size() < expected.size(); ++i) {
    const std::size_t n = poller->wait(small, kPerWait);
    ASSERT_LE(n, 3u);
    ASSERT_EQ(n, small.size());
    collect(small, all);
    for (const Event& e : small) drain(e.fd);
  }
  ASSERT_EQ(all.size(), expected.size()) << describe(all);
  for (const auto& [fd, token] : expected) {
    EXPECT_EQ(all[fd].tokens, std::set<Token>{token}) << "fd " << fd;
  }
  if (!edge_triggered()) return;

  all = wait_quietly(*poller, small);
  ASSERT_TRUE(all.empty()) << "all drained: " << describe(all);
  for (const FdPair& p : pipes) write_byte(p.b.get());
  all = wait_until(*poller, small, [&](const Reports& seen) { return seen.size() == pipes.size(); });
  all.merge(wait_quietly(*poller, small));
  ASSERT_EQ(all.size(), pipes.size()) << "edge-triggered, not drained: " << describe(all);
  for (const auto& [fd, r] : all) EXPECT_EQ(r.events, 1) << "one write, one edge: " << describe(all);
}

// Removing some of many fds, from the middle and from the top: the rest are still reported
// with their own tokens, the removed ones never (poll compacts its array, select lowers its
// highest fd).
TEST_P(PollerTest, RemoveAmongMany) {
  std::vector<FdPair> pipes(64);
  for (std::size_t i = 0; i < pipes.size(); ++i) {
    pipes[i] = make_pipe();
    poller->add(pipes[i].a.get(), Interest::readable, token_of(i));
  }
  std::map<int, Token> kept;
  for (std::size_t i = 0; i < pipes.size(); ++i) {
    if (i % 3 == 0 || i + 8 >= pipes.size()) {
      poller->remove(pipes[i].a.get());
    } else {
      kept[pipes[i].a.get()] = token_of(i);
    }
  }
  ASSERT_EQ(poller->watched(), kept.size());
  for (const FdPair& p : pipes) write_byte(p.b.get());

  Reports r = wait_until(*poller, events, [&](const Reports& seen) { return seen.size() >= kept.size(); });
  r.merge(wait_quietly(*poller, events));
  ASSERT_EQ(r.size(), kept.size()) << describe(r);
  for (const auto& [fd, token] : kept) {
    ASSERT_TRUE(reported(r, fd, kReadable)) << "fd " << fd << ": " << describe(r);
    EXPECT_EQ(r.at(fd).tokens, std::set<Token>{token}) << "fd " << fd;
  }

  for (const auto& [fd, token] : kept) poller->remove(fd);
  EXPECT_EQ(poller->watched(), 0u);
  r = wait_quietly(*poller, events);
  EXPECT_TRUE(r.empty()) << "everything removed: " << describe(r);
}

// A storm of wakeups with no wait in between, more than the largest io_uring completion
// queue holds (65536): whatever a backend does when it overflows (io_uring's kernel ends the
// multishot poll, and the backend must arm it again), the fd is still watched afterwards.
TEST_P(PollerTest, StormOfWakeupsBetweenWaits) {
  constexpr int kWakeups = 70'000;
  FdPair pipe = make_pipe();
  const int fd = pipe.a.get();
  poller->add(fd, Interest::readable, 9);
  char byte;
  for (int i = 0; i < kWakeups; ++i) {  // each write wakes the watcher; each read empties the pipe again
    write_byte(pipe.b.get());
    ASSERT_EQ(::read(fd, &byte, 1), 1);
  }
  Events big(4096);
  Reports r = wait_until(*poller, big, [](const Reports&) { return false; }, 40, 0ns);
  EXPECT_LE(r.size(), 1u) << describe(r);
  if (r.count(fd)) {
    EXPECT_EQ(r.at(fd).tokens, std::set<Token>{9});
  }
  r = wait_quietly(*poller, big);
  EXPECT_FALSE(reported(r, fd)) << "all reaped and nothing readable: " << describe(r);

  write_byte(pipe.b.get());
  r = wait_for(*poller, big, fd, kReadable);
  EXPECT_TRUE(reported(r, fd, kReadable)) << "still watched after the storm: " << describe(r);
}

// A wait starts from an empty buffer: nothing from an earlier wait survives it.
TEST_P(PollerTest, EventsClearedEachWait) {
  FdPair pipe = make_pipe();
  poller->add(pipe.a.get(), Interest::readable, 7);
  write_byte(pipe.b.get());
  Reports r = wait_for(*poller, events, pipe.a.get(), kReadable);
  ASSERT_TRUE(reported(r, pipe.a.get(), kReadable)) << describe(r);
  ASSERT_FALSE(events.empty()) << "the last wait reported the fd: its events are still in the buffer";

  drain(pipe.a.get());
  poller->remove(pipe.a.get());
  EXPECT_EQ(poller->wait(events, 0ns), 0u);
  EXPECT_EQ(events.size(), 0u);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(events.begin(), events.end());
}

// Every fd the limit allows can be registered and is reported; the pipe past the limit fails
// with EMFILE and a message naming the limit. In a child process, so the rest of the suite
// keeps its fds.
TEST_P(PollerTest, RegistersFdsUpToTheLimit) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string name = backend();
  auto child = [&name] {
    auto fail = [](const std::string& why) {
      std::fprintf(stderr, "%s\n", why.c_str());
      std::_Exit(1);
    };
    try {
      const FdLimit limit = raise_fd_limit();
      auto poller = make_poller(name);
      std::vector<FdPair> pipes;
      pipes.reserve(limit.soft / 2 + 1);
      // UBSan's vptr check probes memory through a pipe of its own, which fails once every fd
      // is taken: two fds kept spare, freed before the caught exception is touched.
      FdPair spare = make_pipe();
      try {
        for (;;) {
          FdPair p = make_pipe();
          poller->add(p.a.get(), Interest::readable, 2 * pipes.size());
          poller->add(p.b.get(), Interest::readable, 2 * pipes.size() + 1);
          pipes.push_back(std::move(p));
        }
      } catch (const std::system_error& e) {
        spare = FdPair{};
        if (e.code() != std::errc::too_many_files_open) fail(std::string("expected EMFILE, got: ") + e.what());
        const std::string message = e.what();
        if (message.find(std::to_string(limit.soft)) == std::string::npos) {
          fail("the EMFILE message does not name the limit " + std::to_string(limit.soft) + ": " + message);
        }
      }
      const FdPair& last = pipes.back();
      if (static_cast<std::size_t>(last.b.get()) + 8 < limit.soft) {
        fail("stopped at fd " + std::to_string(last.b.get()) + ", limit " + std::to_string(limit.soft));
      }
      write_byte(last.b.get());
      Events events(8);
      Reports r = wait_for(*poller, events, last.a.get(), kReadable);
      if (!reported(r, last.a.get(), kReadable) || r.at(last.a.get()).tokens != std::set<Token>{2 * (pipes.size() - 1)}) {
        fail("fd " + std::to_string(last.a.get()) + " near the limit not reported: " + describe(r));
      }
    } catch (const std::exception& e) {
      fail(std::string("unexpected exception: ") + e.what());
    }
    std::_Exit(0);
  };
  EXPECT_EXIT(child(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace pollbench::conformance
