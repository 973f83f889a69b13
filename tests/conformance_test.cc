// The backend conformance suite: one contract, every backend, real fds.
//
// Each test runs once per backend (Conformance/PollerTest.X/epoll_et) or once per backend and
// kind of fd pair (Conformance/PairTest.X/io_uring_tcp). A backend this machine cannot run
// is skipped with the reason. Where the contract differs between level- and edge-triggered
// backends, a test branches on trigger(), never on the name.
//
// This file: readiness on pipes, socketpairs and loopback TCP: readable, writable, hangup,
// edge vs level, modify, remove, and an fd closed while registered.
// conformance_scale_test.cc: many fds, a small Events buffer, the fd limit.
// conformance_errors_test.cc: timeouts and bad input.
// conformance_fairness_test.cc: a small buffer starves no fd; no events from a stale registration.
#include <unistd.h>

#include "test_util.h"

namespace pollbench::conformance {
namespace {

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const BackendInfo& b : backends()) names.push_back(b.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Conformance, PollerTest, ::testing::ValuesIn(backend_names()),
                         [](const auto& info) { return info.param; });

INSTANTIATE_TEST_SUITE_P(Conformance, PairTest,
                         ::testing::Combine(::testing::ValuesIn(backend_names()), ::testing::ValuesIn(fd_kinds())),
                         [](const auto& info) { return std::get<0>(info.param) + "_" + std::get<1>(info.param); });

TEST_P(PairTest, ReadableWhenPeerWrites) {
  const int fd = pair.a.get();
  poller->add(fd, Interest::readable, 101);
  EXPECT_FALSE(reported(wait_quietly(*poller, events), fd)) << "nothing was written yet";

  write_byte(pair.b.get());
  const Reports r = wait_for(*poller, events, fd, kReadable);
  ASSERT_TRUE(reported(r, fd, kReadable)) << describe(r);
  EXPECT_EQ(r.at(fd).tokens, std::set<Token>{101});
  EXPECT_FALSE(r.at(fd).ready & kWritable) << "asked only for readable: " << describe(r);
}

TEST_P(PairTest, ReadyBeforeAddIsReported) {
  write_byte(pair.b.get());
  poller->add(pair.a.get(), Interest::readable, 102);
  const Reports r = wait_for(*poller, events, pair.a.get(), kReadable);
  ASSERT_TRUE(reported(r, pair.a.get(), kReadable)) << describe(r);
  EXPECT_EQ(r.at(pair.a.get()).tokens, std::set<Token>{102});
}

TEST_P(PairTest, WritableWhenThereIsSpace) {
  const int fd = pair.b.get();
  poller->add(fd, Interest::writable, 103);
  const Reports r = wait_for(*poller, events, fd, kWritable);
  ASSERT_TRUE(reported(r, fd, kWritable)) << describe(r);
  EXPECT_EQ(r.at(fd).tokens, std::set<Token>{103});
  EXPECT_FALSE(r.at(fd).ready & kReadable) << "nothing arrived for b: " << describe(r);
}

// Readable and writable interest on one fd: both show up, and every event names it with its token.
TEST_P(PairTest, BothInterests) {
  const int fd = pair.b.get();
  poller->add(fd, Interest::both, 104);
  Reports r = wait_for(*poller, events, fd, kWritable);
  ASSERT_TRUE(reported(r, fd, kWritable)) << describe(r);
  if (kind() == "pipe") return;  // a pipe's write end never becomes readable

  write_byte(pair.a.get());
  r = wait_for(*poller, events, fd, kReadable);
  ASSERT_TRUE(reported(r, fd, kReadable)) << describe(r);
  EXPECT_EQ(r.at(fd).tokens, std::set<Token>{104});
}

// The peer closes: the reader hears about it and then reads end-of-file. A backend whose
// mechanism has no hangup report (select has no set for it) shows it as readable (poller.h).
TEST_P(PairTest, HangupWhenPeerCloses) {
  const int fd = pair.a.get();
  poller->add(fd, Interest::readable, 105);
  pair.b.reset();
  const std::uint8_t expected = backend_info(backend()).traits.reports_hangup ? kHangup : kReadable;
  const Reports r = wait_for(*poller, events, fd, expected);
  ASSERT_TRUE(reported(r, fd, expected)) << "expected " << describe_ready(expected) << ": " << describe(r);
  EXPECT_EQ(r.at(fd).tokens, std::set<Token>{105});
  char byte;
  EXPECT_EQ(::read(fd, &byte, 1), 0) << "the peer closed: end of file";
}

// Level: a ready fd is reported by every wait until drained. Edge: once per edge, and again
// after new data.
TEST_P(PairTest, ReadableLevelOrEdge) {
  const int fd = pair.a.get();
  poller->add(fd, Interest::readable, 106);
  write_byte(pair.b.get());
  Reports r = wait_for(*poller, events, fd, kReadable);
  ASSERT_TRUE(reported(r, fd, kReadable)) << describe(r);

  if (edge_triggered()) {
    r = wait_quietly(*poller, events);
    EXPECT_FALSE(reported(r, fd)) << "edge-triggered: reported again with no new data: " << describe(r);
    write_byte(pair.b.get());
    r = wait_for(*poller, events, fd, kReadable);
    EXPECT_TRUE(reported(r, fd, kReadable)) << "edge-triggered: new data is a new edge: " << describe(r);
    EXPECT_EQ(drain(fd), 2u);
  } else {
    for (int i = 0; i < 3; ++i) {
      r = wait_once(*poller, events);
      EXPECT_TRUE(reported(r, fd, kReadable)) << "level-triggered wait " << i << " while still readable: " << describe(r);
    }
    EXPECT_EQ(drain(fd), 1u);
  }
  r = wait_quietly(*poller, events);
  EXPECT_FALSE(reported(r, fd)) << "drained: " << describe(r);
}

// Writable: level reports it on every wait while there is space; edge once, and again when
// space frees after the fd was full. Neither reports it while full.
TEST_P(PairTest, WritableLevelOrEdge) {
  const int fd = pair.b.get();
  poller->add(fd, Interest::writable, 107);
  Reports r = wait_for(*poller, events, fd, kWritable);
  ASSERT_TRUE(reported(r, fd, kWritable)) << describe(r);
  r = wait_quietly(*poller, events);
  if (edge_triggered()) {
    EXPECT_FALSE(reported(r, fd)) << "edge-triggered: still writable, but no new edge: " << describe(r);
  } else {
    EXPECT_EQ(r.count(fd) ? r.at(fd).waits : 0, kQuietWaits) << "level-triggered: every wait: " << describe(r);
  }

  ASSERT_GT(fill(fd), 0u);
  wait_quietly(*poller, events);  // edges raised while filling (acks freeing space) pass here
  r = wait_quietly(*poller, events);
  EXPECT_FALSE(reported(r, fd, kWritable)) << "full: " << describe(r);

  // The reader makes room; TCP may need a few rounds of window updates before space frees.
  r = wait_until(*poller, events, [&](const Reports& seen) {
    drain(pair.a.get());
    return reported(seen, fd, kWritable);
  }, kMaxWaits, kQuietWait);
  EXPECT_TRUE(reported(r, fd, kWritable)) << "space freed: " << describe(r);
  EXPECT_EQ(r.count(fd) ? r.at(fd).tokens : std::set<Token>{}, std::set<Token>{107});
}

// modify switches interest and token at once: what was pending under the old interest is
// dropped, and events afterwards carry only the new token.
TEST_P(PairTest, ModifyChangesInterestAndToken) {
  const int fd = pair.b.get();  // nothing is ever written towards b: never readable
  poller->add(fd, Interest::writable, 108);  // writable at once: an event is pending
  poller->modify(fd, Interest::readable, 109);
  Reports r = wait_quietly(*poller, events);
  EXPECT_FALSE(reported(r, fd)) << "the pending writable event belongs to the old interest: " << describe(r);

  poller->modify(fd, Interest::writable, 110);
  r = wait_for(*poller, events, fd, kWritable);
  ASSERT_TRUE(reported(r, fd, kWritable)) << describe(r);
  EXPECT_EQ(r.at(fd).tokens, std::set<Token>{110});

  poller->modify(fd, Interest::readable, 111);
  r = wait_quietly(*poller, events);
  EXPECT_FALSE(reported(r, fd)) << "back to readable interest, and b is not readable: " << describe(r);
  EXPECT_EQ(poller->watched(), 1u);
}

// A token change on a ready fd: it is reported (again) with the new token only. For an
// edge-triggered backend modify re-arms, as epoll_ctl(MOD) does.
TEST_P(PairTest, ModifyTokenOfReadyFd) {
  const int fd = pair.a.get();
  poller->add(fd, Interest::readable, 111);
  write_byte(pair.b.get());
  Reports r = wait_for(*poller, events, fd, kReadable);
  ASSERT_TRUE(reported(r, fd, kReadable)) << describe(r);

  poller->modify(fd, Interest::readable, 112);
  r = wait_for(*poller, events, fd, kReadable);
  ASSERT_TRUE(reported(r, fd, kReadable)) << describe(r);
  EXPECT_EQ(r.at(fd).tokens, std::set<Token>{112});
}

// modify() right after data arrives, before any wait: the readiness the kernel is about to
// deliver (for io_uring, a wakeup queued as task work) must reach the caller under the new
// token. Many rounds, because the window is a race on some mechanisms.
TEST_P(PairTest, ModifyRightAfterDataArrives) {
  const int fd = pair.a.get();
  poller->add(fd, Interest::readable, 1);
  int lost = 0;
  for (Token round = 0; round < 50; ++round) {
    write_byte(pair.b.get());
    const Token token = 1000 + round;
    poller->modify(fd, Interest::readable, token);
    Reports r = wait_for(*poller, events, fd, kReadable);
    if (!reported(r, fd, kReadable) || r.at(fd).tokens.count(token) == 0) ++lost;
    char buffer[64];
    ASSERT_EQ(::read(fd, buffer, sizeof buffer), 1);
  }
  EXPECT_EQ(lost, 0) << "rounds whose readiness was lost or carried an old token, of 50";
}

// After remove nothing is reported for the fd, not even what was pending; it can be added again.
TEST_P(PairTest, RemoveStopsEvents) {
  const int fd = pair.a.get();
  poller->add(fd, Interest::readable, 113);
  write_byte(pair.b.get());
  Reports r = wait_for(*poller, events, fd, kReadable);
  ASSERT_TRUE(reported(r, fd, kReadable)) << describe(r);
  write_byte(pair.b.get());  // a new edge, pending when remove comes
  poller->remove(fd);
  EXPECT_EQ(poller->watched(), 0u);
  r = wait_quietly(*poller, events);
  EXPECT_FALSE(reported(r, fd)) << "removed: " << describe(r);

  poller->add(fd, Interest::readable, 114);
  r = wait_for(*poller, events, fd, kReadable);
  ASSERT_TRUE(reported(r, fd, kReadable)) << "added again, with data waiting: " << describe(r);
  EXPECT_EQ(r.at(fd).tokens, std::set<Token>{114});
}

// The caller closes a registered fd: waits neither crash nor throw, anything reported for
// that number carries its token, remove() succeeds, and the number can be registered again.
TEST_P(PairTest, FdClosedWhileRegistered) {
  FdPair next = make_pair(kind());  // opened first, so it cannot take the closed number
  const int fd = pair.a.get();
  poller->add(fd, Interest::readable, 115);
  write_byte(pair.b.get());
  pair.a.reset();

  Reports r;
  for (auto timeout : {0ns, std::chrono::nanoseconds(kQuietWait), std::chrono::nanoseconds(kQuietWait)}) {
    ASSERT_NO_THROW(poller->wait(events, timeout));
    collect(events, r);
  }
  if (r.count(fd)) {
    EXPECT_EQ(r.at(fd).tokens, std::set<Token>{115}) << describe(r);
  }
  ASSERT_NO_THROW(poller->remove(fd));
  EXPECT_EQ(poller->watched(), 0u);

  // The same number, now naming another file.
  ASSERT_EQ(::dup2(next.a.get(), fd), fd);
  OwnedFd reused(fd);
  poller->add(fd, Interest::readable, 116);
  r = wait_quietly(*poller, events);
  EXPECT_FALSE(reported(r, fd)) << "the new file has no data yet: " << describe(r);
  write_byte(next.b.get());
  r = wait_for(*poller, events, fd, kReadable);
  ASSERT_TRUE(reported(r, fd, kReadable)) << describe(r);
  EXPECT_EQ(r.at(fd).tokens, std::set<Token>{116});
}

}  // namespace
}  // namespace pollbench::conformance
