#pragma once
// Idempotency keys seen within the window (default 24 h): (queue, key) -> the envelope the first
// dispatch created. Keys are scoped by destination queue so that a fan-out dispatch resent with
// the same key finds each of its originals. Entries expire in insertion order (the window is one
// constant), so expiry is a FIFO pop, not a scan.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "broker/core/types.h"

namespace symphony::broker {

class IdempotencyIndex {
 public:
  explicit IdempotencyIndex(TimeMs window_ms) : window_ms_(window_ms) {}

  /// The original message id when (queue, key) was seen and has not expired at `now`.
  std::optional<MessageId> find(std::string_view queue, std::string_view key, TimeMs now);
  /// Remembers (queue, key) -> id from `seen_at` until `seen_at + window`. Entries must be added
  /// in non-decreasing `seen_at` order (dispatch order, or log order during recovery).
  void insert(std::string_view queue, std::string_view key, MessageId id, TimeMs seen_at);
  /// Drops every entry whose window ended at or before `now`.
  void expire(TimeMs now);

  size_t size() const { return entries_.size(); }

  /// Positions in insertion order, for a chunked walk that survives inserts and expiry between
  /// chunks: [first_position(), end_position()).
  uint64_t first_position() const { return popped_; }
  uint64_t end_position() const { return popped_ + expiry_.size(); }
  /// Visits the entries inserted at positions [pos, pos + max) still current, advancing `pos`.
  /// fn(queue, key, id, seen_at).
  template <typename F>
  void visit(uint64_t& pos, size_t max, F&& fn) const {
    if (pos < popped_) pos = popped_;
    for (size_t n = 0; n < max && pos < end_position(); ++n, ++pos) {
      const auto& [expires_at, composite] = expiry_[pos - popped_];
      auto it = entries_.find(*composite);
      if (it == entries_.end() || it->second.expires_at != expires_at) continue;  // refreshed
      const std::string_view c = *composite;
      const size_t split = c.find('\0');
      fn(c.substr(0, split), c.substr(split + 1), it->second.id, expires_at - window_ms_);
    }
  }
  TimeMs window_ms() const { return window_ms_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Entry {
    MessageId id;
    TimeMs expires_at;
    uint32_t expiry_refs;  ///< entries of expiry_ pointing at this one; erased when it hits 0
  };
  std::string_view compose(std::string_view queue, std::string_view key);

  TimeMs window_ms_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
  std::deque<std::pair<TimeMs, const std::string*>> expiry_;
  std::string scratch_;
  uint64_t popped_ = 0;  ///< entries ever popped from expiry_ (positions stay stable)
};

}  // namespace symphony::broker
