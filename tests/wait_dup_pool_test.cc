// The dup control's pool (bench/wait/fd_pool.h, kind "dup"): every watched fd is a dup() of one
// idle socket except the ready ones, which are real socketpair ends; a wait through every backend
// reports exactly the fd made ready, and moving the ready set re-registers and leaves no trace.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include "fd_pool.h"
#include "poller.h"
#include "registered_poller.h"

namespace pollbench::wait {
namespace {

ino_t inode(int fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd, &st), 0) << "fd " << fd;
  return st.st_ino;
}

class WaitDupPool : public ::testing::TestWithParam<std::string> {
 protected:
  void TearDown() override { forget_registered_poller(); }
};

// Makes watched fd `index` readable through its peer and checks that one wait reports it alone.
void expect_only(Poller& poller, const FdPool& pool, std::size_t index) {
  const char byte = 'x';
  ASSERT_EQ(::write(pool.peer(index), &byte, 1), 1);
  Events events(4);
  const std::size_t n = wait_for_events(poller, events, WaitMode::block);
  ASSERT_EQ(n, 1u) << "index " << index;
  EXPECT_EQ(events[0].token, index);
  EXPECT_EQ(events[0].fd, pool.watched(index));
  read_one(pool.watched(index));
  EXPECT_EQ(poller.wait(events, std::chrono::nanoseconds::zero()), 0u) << "still pending after the read";
}

TEST_P(WaitDupPool, ReportsExactlyTheReadyFdAsItMoves) {
  const std::string backend = GetParam();
  constexpr std::size_t kWatched = 1000;
  FdPool& pool = shared_pool();
  unsigned generation = 0;
  for (const std::vector<std::size_t>& ready : {std::vector<std::size_t>{kWatched - 1},
                                                 std::vector<std::size_t>{kWatched / 2}, std::vector<std::size_t>{0}}) {
    pool.place_ready(kWatched, ready);
    EXPECT_NE(pool.generation(), generation) << "a new ready set must make the poller register afresh";
    generation = pool.generation();
    Poller& poller = registered_poller(backend, kDupKind, kWatched);
    ASSERT_EQ(poller.watched(), kWatched);

    // All but the ready fd are one file; the ready one is another, with a peer.
    std::set<ino_t> idle_files;
    for (std::size_t i = 0; i < kWatched; ++i) {
      if (i == ready[0]) continue;
      idle_files.insert(inode(pool.watched(i)));
      EXPECT_EQ(pool.peer(i), -1);
    }
    EXPECT_EQ(idle_files.size(), 1u);
    EXPECT_EQ(idle_files.count(inode(pool.watched(ready[0]))), 0u);
    ASSERT_GE(pool.peer(ready[0]), 0);

    for (int round = 0; round < 3; ++round) expect_only(poller, pool, ready[0]);
  }
  // The same ready set again changes nothing.
  pool.place_ready(kWatched, {0});
  EXPECT_EQ(pool.generation(), generation);
}

INSTANTIATE_TEST_SUITE_P(Backends, WaitDupPool, ::testing::ValuesIn(available_backends()),
                         [](const auto& info) { return info.param; });

TEST(WaitDupPoolFds, CostsOneFdPerWatchedPlusTheIdlePairAndThePeers) {
  forget_registered_poller();
  FdPool& pool = shared_pool();
  pool.ensure("socketpair", 2);  // a kind change closes the dup pool
  const std::size_t before = open_fd_count();
  pool.place_ready(500, {499});
  EXPECT_EQ(open_fd_count() - before, 500u + 2 + 1 - 2);  // the socketpair pool's 2 fds closed
  pool.ensure("socketpair", 2);
  EXPECT_EQ(open_fd_count(), before);
}

}  // namespace
}  // namespace pollbench::wait
