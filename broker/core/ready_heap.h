#pragma once
// The per-queue ready set: a binary min-heap of 16-byte entries ordered by (priority descending,
// available_at ascending, id ascending). Ordering lives in the entry itself, so comparisons never
// touch envelope memory, and recovery rebuilds the exact same order from persisted fields.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "broker/core/types.h"
#include "protocol/dispatch.h"

namespace symphony::broker {

class ReadyHeap {
 public:
  struct Entry {
    uint64_t key;  ///< (kMaxPriority - priority) << 50 | available_at_ms
    MessageId id;
  };

  static uint64_t make_key(uint8_t priority, TimeMs available_at_ms) {
    constexpr TimeMs kTimeMask = (TimeMs{1} << 50) - 1;
    const TimeMs t = std::clamp<TimeMs>(available_at_ms, 0, kTimeMask);
    return (static_cast<uint64_t>(protocol::kMaxPriority - priority) << 50) |
           static_cast<uint64_t>(t);
  }

  void push(uint8_t priority, TimeMs available_at_ms, MessageId id) {
    heap_.push_back({make_key(priority, available_at_ms), id});
    std::push_heap(heap_.begin(), heap_.end(), after);
  }
  const Entry& top() const { return heap_.front(); }
  void pop() {
    std::pop_heap(heap_.begin(), heap_.end(), after);
    heap_.pop_back();
  }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  void clear() { heap_.clear(); }
  /// Entries in heap (not sorted) order, for purge.
  const std::vector<Entry>& entries() const { return heap_; }

  /// True when `a` should be delivered before `b`.
  static bool before(const Entry& a, const Entry& b) {
    return a.key != b.key ? a.key < b.key : a.id < b.id;
  }

 private:
  static bool after(const Entry& a, const Entry& b) { return before(b, a); }
  std::vector<Entry> heap_;
};

}  // namespace symphony::broker
