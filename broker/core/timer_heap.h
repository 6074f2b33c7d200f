#pragma once
// Every time-driven transition of the core (a delayed envelope becoming ready, a lease expiring,
// a schedule firing) as one min-heap of (due, id, kind). Entries are not removed when their
// envelope or schedule changes; the core checks on pop that it still has that state and that time
// (lazy deletion), which keeps touch/ack O(1) for the heap.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "broker/core/types.h"

namespace symphony::broker {

class TimerHeap {
 public:
  /// kSchedule entries carry a schedule id where the others carry a message id.
  enum class Kind : uint8_t { kAvailable, kLeaseDeadline, kSchedule };
  struct Entry {
    TimeMs due;
    MessageId id;
    Kind kind;
  };

  void push(TimeMs due, MessageId id, Kind kind) {
    heap_.push_back({due, id, kind});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  bool empty() const { return heap_.empty(); }
  const Entry& top() const { return heap_.front(); }
  void pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
  std::optional<TimeMs> next_due() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.front().due;
  }
  size_t size() const { return heap_.size(); }
  /// Drops every entry `live` rejects and re-heaps what is left: O(size). The lazy deletion above
  /// otherwise keeps one dead entry per ack until its deadline passes, which at 300k acks/s and a
  /// 30 s lease is 9 M entries (216 MB) for nothing.
  template <typename Live>
  void prune(Live&& live) {
    std::erase_if(heap_, [&](const Entry& e) { return !live(e); });
    std::make_heap(heap_.begin(), heap_.end(), later);
  }

 private:
  static bool later(const Entry& a, const Entry& b) {
    return a.due != b.due ? a.due > b.due : a.id > b.id;
  }
  std::vector<Entry> heap_;
};

}  // namespace symphony::broker
