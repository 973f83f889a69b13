#include "timer_queue.h"

namespace pollbench::loadgen {

TimerQueue::TimerQueue(std::size_t ids) : position_(ids, kAbsent) {}

void TimerQueue::place(std::size_t at, const Entry& entry) {
  heap_[at] = entry;
  position_[entry.id] = static_cast<std::uint32_t>(at);
}

void TimerQueue::sift_up(std::size_t at) {
  const Entry entry = heap_[at];
  while (at > 0) {
    const std::size_t parent = (at - 1) / 2;
    if (!before(entry, heap_[parent])) break;
    place(at, heap_[parent]);
    at = parent;
  }
  place(at, entry);
}

void TimerQueue::sift_down(std::size_t at) {
  const Entry entry = heap_[at];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * at + 1;
    if (child >= n) break;
    if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], entry)) break;
    place(at, heap_[child]);
    at = child;
  }
  place(at, entry);
}

void TimerQueue::remove_at(std::size_t at) {
  position_[heap_[at].id] = kAbsent;
  const Entry last = heap_.back();
  heap_.pop_back();
  if (at == heap_.size()) return;
  place(at, last);
  sift_up(at);
  sift_down(position_[last.id]);
}

void TimerQueue::schedule(std::uint32_t id, std::int64_t deadline_ns) {
  const Entry entry{deadline_ns, next_order_++, id};
  if (position_[id] == kAbsent) {
    heap_.push_back(entry);
    position_[id] = static_cast<std::uint32_t>(heap_.size() - 1);
  } else {
    heap_[position_[id]] = entry;
  }
  sift_up(position_[id]);
  sift_down(position_[id]);
}

void TimerQueue::cancel(std::uint32_t id) {
  if (position_[id] != kAbsent) remove_at(position_[id]);
}

void TimerQueue::clear() {
  for (const Entry& e : heap_) position_[e.id] = kAbsent;
  heap_.clear();
}

bool TimerQueue::pop_due(std::int64_t now_ns, std::uint32_t* id) {
  if (heap_.empty() || heap_.front().deadline_ns > now_ns) return false;
  *id = heap_.front().id;
  remove_at(0);
  return true;
}

}  // namespace pollbench::loadgen
