// Deadlines of a worker's connections, earliest first: a binary heap indexed by connection id,
// so that each connection has at most one deadline (its connect timeout, or when it reopens
// after a failure) and moving or cancelling it costs O(log n), with no stale entries left behind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace pollbench::loadgen {

class TimerQueue {
 public:
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

  // Ids are 0 .. ids-1.
  explicit TimerQueue(std::size_t ids = 0);

  // Sets (or moves) `id`'s deadline.
  void schedule(std::uint32_t id, std::int64_t deadline_ns);
  // Drops `id`'s deadline, if it has one.
  void cancel(std::uint32_t id);
  void clear();

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  bool scheduled(std::uint32_t id) const { return position_[id] != kAbsent; }
  // The earliest deadline, or kNever.
  std::int64_t next_deadline() const { return heap_.empty() ? kNever : heap_.front().deadline_ns; }

  // Takes the earliest timer out if it is due at `now_ns` (deadline <= now). Equal deadlines
  // come out in the order they were scheduled.
  bool pop_due(std::int64_t now_ns, std::uint32_t* id);

 private:
  struct Entry {
    std::int64_t deadline_ns;
    std::uint64_t order;  // schedule() count: ties go first come, first served
    std::uint32_t id;
  };
  static constexpr std::uint32_t kAbsent = std::numeric_limits<std::uint32_t>::max();

  static bool before(const Entry& a, const Entry& b) {
    return a.deadline_ns != b.deadline_ns ? a.deadline_ns < b.deadline_ns : a.order < b.order;
  }
  void place(std::size_t at, const Entry& entry);
  void sift_up(std::size_t at);
  void sift_down(std::size_t at);
  void remove_at(std::size_t at);

  std::vector<Entry> heap_;
  std::vector<std::uint32_t> position_;  // heap_ index of each id, or kAbsent
  std::uint64_t next_order_ = 0;
};

}  // namespace pollbench::loadgen
