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
};

}  // namespace symphony::broker
