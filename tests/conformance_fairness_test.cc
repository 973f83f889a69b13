// Conformance: fair and truthful readiness (poller.h, the Events capacity and the
// close-before-remove paragraphs).
//
// Fair: with an Events buffer smaller than the ready set and nothing drained, every ready fd
// is reported within ceil(ready / capacity) waits. Level-triggered backends report the ready
// fds again and again, so fairness means no fd waits longer than that, round after round.
// Edge-triggered ones report each edge once, so fairness means every pending edge is reported,
// once, in that many waits: none lost for want of room, none repeated.
//
// Truthful: a registered fd closed before remove() while a dup keeps its file open. After
// remove() no event for the old file reaches the caller, whether its number stays free or is
// reused and added again (then only the new registration's token appears).
#include <unistd.h>

#include <vector>

#include "test_util.h"

namespace pollbench::conformance {
namespace {

Token token_of(std::size_t index) { return 2'000'000 + index; }

// Waits until `rounds` waits have reported something (a wait may come back early and empty,
// e.g. when interrupted), and returns what each of those waits reported.
std::vector<Reports> nonempty_waits(Poller& poller, Events& events, int rounds) {
  std::vector<Reports> seen;
  for (int i = 0; i < kMaxWaits && static_cast<int>(seen.size()) < rounds; ++i) {
    poller.wait(events, kPerWait);
    if (events.empty()) continue;
    seen.emplace_back();
    collect(events, seen.back());
  }
  return seen;
}

Reports merged(const std::vector<Reports>& waits, std::size_t from, std::size_t to) {
  Reports all;
  for (std::size_t i = from; i < to && i < waits.size(); ++i) {
    for (const auto& [fd, r] : waits[i]) {
      Report& a = all[fd];
      a.tokens.insert(r.tokens.begin(), r.tokens.end());
      a.ready |= r.ready;
      a.events += r.events;
      a.waits += r.waits;
    }
  }
  return all;
}

// A buffer of 3, 8 ready read ends among 16 registered fds (the write ends never become
// readable), nothing drained.
TEST_P(PollerTest, SmallBufferIsFair) {
  constexpr std::size_t kReady = 8;
  constexpr std::size_t kCapacity = 3;
  constexpr int kRound = (kReady + kCapacity - 1) / kCapacity;  // ceil(8 / 3) = 3
  std::vector<FdPair> pipes(kReady);
  std::map<int, Token> expected;
  for (std::size_t i = 0; i < pipes.size(); ++i) {
    pipes[i] = make_pipe();
    poller->add(pipes[i].a.get(), Interest::readable, token_of(2 * i));
    poller->add(pipes[i].b.get(), Interest::readable, token_of(2 * i + 1));
    expected[pipes[i].a.get()] = token_of(2 * i);
  }
  for (const FdPair& p : pipes) write_byte(p.b.get());

  Events small(kCapacity);
  // Level-triggered: two rounds, each of which must cover every ready fd.
  const int rounds = edge_triggered() ? 1 : 2;
  const std::vector<Reports> waits = nonempty_waits(*poller, small, rounds * kRound);
  ASSERT_EQ(waits.size(), static_cast<std::size_t>(rounds * kRound)) << "waits came back empty";
  for (int round = 0; round < rounds; ++round) {
    const Reports r = merged(waits, static_cast<std::size_t>(round * kRound),
                             static_cast<std::size_t>((round + 1) * kRound));
    EXPECT_EQ(r.size(), kReady) << "round " << round << ": every ready fd within " << kRound
                                << " waits of " << kCapacity << ": " << describe(r);
    for (const auto& [fd, token] : expected) {
      ASSERT_TRUE(reported(r, fd, kReadable)) << "round " << round << ", fd " << fd << " starved: " << describe(r);
      EXPECT_EQ(r.at(fd).tokens, std::set<Token>{token}) << "fd " << fd;
      if (edge_triggered()) {
        EXPECT_EQ(r.at(fd).events, 1) << "one write, one edge: " << describe(r);
      }
    }
  }
  if (edge_triggered()) {
    const Reports after = wait_quietly(*poller, small);
    EXPECT_TRUE(after.empty()) << "every edge was reported already: " << describe(after);
  }
}

// Does any event in `r` carry `token`?
bool token_seen(const Reports& r, Token token) {
  for (const auto& [fd, report] : r) {
    if (report.tokens.count(token)) return true;
  }
  return false;
}

// The fd is closed while a dup keeps its file open; remove() follows. New data for the old
// file, level (still unread) and edge (a new write) alike, must reach nobody.
TEST_P(PairTest, DupClosedBeforeRemoveIsSilent) {
  const int fd = pair.a.get();
  OwnedFd keep(::dup(fd));
  ASSERT_TRUE(keep) << "dup";
  poller->add(fd, Interest::readable, 201);
  write_byte(pair.b.get());
  Reports r = wait_for(*poller, events, fd, kReadable);
  ASSERT_TRUE(reported(r, fd, kReadable)) << describe(r);

  pair.a.reset();  // the number is free; the file lives on in `keep`
  ASSERT_NO_THROW(poller->remove(fd));
  EXPECT_EQ(poller->watched(), 0u);
  write_byte(pair.b.get());
  r = wait_quietly(*poller, events);
  EXPECT_TRUE(r.empty()) << "removed, though its file is still open elsewhere: " << describe(r);
  write_byte(pair.b.get());
  r = wait_quietly(*poller, events);
  EXPECT_TRUE(r.empty()) << "and again: " << describe(r);
  EXPECT_EQ(drain(keep.get()), 3u) << "the data is still there, for the dup";
}

// As above, but the number is reused and added again before any wait: the old file's events
// must not come back under the new token, nor under the old one.
TEST_P(PairTest, DupClosedNumberReusedReportsOnlyTheNewRegistration) {
  FdPair next = make_pair(kind());  // opened first, so it cannot take the closed number
  const int fd = pair.a.get();
  OwnedFd keep(::dup(fd));
  ASSERT_TRUE(keep) << "dup";
  poller->add(fd, Interest::readable, 211);
  write_byte(pair.b.get());
  Reports r = wait_for(*poller, events, fd, kReadable);
  ASSERT_TRUE(reported(r, fd, kReadable)) << describe(r);

  pair.a.reset();
  ASSERT_NO_THROW(poller->remove(fd));
  ASSERT_EQ(::dup2(next.a.get(), fd), fd);
  OwnedFd reused(fd);
  poller->add(fd, Interest::readable, 212);
  write_byte(pair.b.get());  // the old file: a new edge, and still readable
  r = wait_quietly(*poller, events);
  EXPECT_FALSE(reported(r, fd)) << "the new file has no data; the old one is not ours any more: " << describe(r);
  EXPECT_FALSE(token_seen(r, 211)) << describe(r);

  write_byte(next.b.get());
  r = wait_for(*poller, events, fd, kReadable);
  ASSERT_TRUE(reported(r, fd, kReadable)) << describe(r);
  EXPECT_EQ(r.at(fd).tokens, std::set<Token>{212}) << "only the new registration: " << describe(r);
  EXPECT_FALSE(token_seen(r, 211)) << describe(r);

  // Drain the new file; the old one stays readable and gets yet another write.
  drain(fd);
  write_byte(pair.b.get());
  r = wait_quietly(*poller, events);
  EXPECT_FALSE(reported(r, fd)) << "new file drained: " << describe(r);
  EXPECT_FALSE(token_seen(r, 211)) << describe(r);
  EXPECT_EQ(drain(keep.get()), 3u) << "the old file's data is untouched";
}

}  // namespace
}  // namespace pollbench::conformance
