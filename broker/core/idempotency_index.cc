#include "broker/core/idempotency_index.h"

namespace symphony::broker {

std::string_view IdempotencyIndex::compose(std::string_view queue, std::string_view key) {
  scratch_.assign(queue);
  scratch_.push_back('\0');  // queue names cannot contain NUL, so the split is unambiguous
  scratch_.append(key);
  return scratch_;
}

std::optional<MessageId> IdempotencyIndex::find(std::string_view queue, std::string_view key,
                                                TimeMs now) {
  auto it = entries_.find(compose(queue, key));
  if (it == entries_.end() || it->second.expires_at <= now) return std::nullopt;
  return it->second.id;
}

void IdempotencyIndex::insert(std::string_view queue, std::string_view key, MessageId id,
                              TimeMs seen_at) {
  const TimeMs expires_at = seen_at + window_ms_;
  auto [it, inserted] = entries_.try_emplace(std::string(compose(queue, key)), Entry{id, 0, 0});
  it->second.id = id;
  it->second.expires_at = expires_at;
  ++it->second.expiry_refs;
  expiry_.emplace_back(expires_at, &it->first);
}

void IdempotencyIndex::expire(TimeMs now) {
  while (!expiry_.empty() && expiry_.front().first <= now) {
    auto it = entries_.find(*expiry_.front().second);
    expiry_.pop_front();
    ++popped_;
    // a later insert of the same key refreshed the entry; the last expiry record removes it
    if (--it->second.expiry_refs == 0 && it->second.expires_at <= now) entries_.erase(it);
  }
}

}  // namespace symphony::broker
