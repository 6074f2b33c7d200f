#include "wal/log_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <type_traits>

namespace symphony::wal {

namespace {

// The id counter must stay above every id the log used (next_id() = id + 1): the largest
// uint64 would leave it nothing to hand out, and id + 1 would wrap to 0.
constexpr uint64_t kLastUsableId = std::numeric_limits<uint64_t>::max() - 1;

std::string out_of_range(uint64_t id) {
  return fmt::format("id {} is out of range (ids go up to {})", id, kLastUsableId);
}

const char* state_name(RecoveredEnvelope::State s) {
  switch (s) {
    case RecoveredEnvelope::State::kPending: return "pending";
    case RecoveredEnvelope::State::kLeased: return "leased";
    case RecoveredEnvelope::State::kDead: return "dead";
  }
  return "?";
}

}  // namespace

RecoveredEnvelope* LogState::live(uint64_t id) {
  auto it = envelopes_.find(id);
  return it == envelopes_.end() ? nullptr : &it->second;
}

void LogState::add_key(const std::string& queue, const std::string& key, uint64_t id,
                       int64_t seen_at) {
  std::string composite = queue;
  composite.push_back('\0');
  composite.append(key);
  RecoveredKey& k = keys_[composite];
  k.queue = queue;
  k.key = key;
  k.id = id;
  k.seen_at_ms = seen_at;
}

void LogState::observe_group(const GroupHeader& h) {
  next_id_ = std::max(next_id_, h.next_message_id);
}

std::string LogState::set_from(const EnvelopeRecord& r, bool snapshot) {
  if (r.state == PersistedState::kLeased && !snapshot) return "an enqueue cannot be leased";
  RecoveredEnvelope& e = envelopes_[r.id];
  e = RecoveredEnvelope{};
  e.id = r.id;
  e.queue.assign(r.queue);
  e.priority = r.priority;
  e.state = r.state == PersistedState::kDead     ? RecoveredEnvelope::State::kDead
            : r.state == PersistedState::kLeased ? RecoveredEnvelope::State::kLeased
                                                 : RecoveredEnvelope::State::kPending;
  e.created_at_ms = r.created_at_ms;
  e.available_at_ms = r.available_at_ms;
  e.attempts = r.attempts;
  e.max_retries = r.max_retries;
  e.idempotency_key.assign(r.idempotency_key);
  e.failures.reserve(r.failures.size());
  for (const FailureView& f : r.failures) {
    e.failures.push_back(
        {f.attempt, f.failed_at_ms, std::string(f.error), std::string(f.error_class)});
  }
  e.body.assign(r.body);
  if (!e.idempotency_key.empty()) add_key(e.queue, e.idempotency_key, e.id, e.created_at_ms);
  next_id_ = std::max(next_id_, r.id + 1);
  return {};
}

std::string LogState::apply(const Record& record) {
  const uint64_t id = message_id_of(record);
  return std::visit(
      [&](const auto& r) -> std::string {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, EnvelopeRecord>) {
          if (r.id > kLastUsableId) return out_of_range(r.id);
          if (r.id <= last_enqueued_ || r.id < base_id_) {
            return fmt::format("enqueued id {} is not new (last enqueued {}, base {})", r.id,
                               last_enqueued_, base_id_);
          }
          if (r.state != PersistedState::kPending) return "an enqueue must be pending";
          last_enqueued_ = r.id;
          return set_from(r, false);
        } else if constexpr (std::is_same_v<T, SnapshotRecord>) {
          if (r.id > kLastUsableId) return out_of_range(r.id);
          return set_from(r, true);
        } else if constexpr (std::is_same_v<T, QueuePurgedRecord>) {
          for (auto it = envelopes_.begin(); it != envelopes_.end();) {
            if (it->second.queue == r.queue &&
                it->second.state == RecoveredEnvelope::State::kPending) {
              it = envelopes_.erase(it);
            } else {
              ++it;
            }
          }
          return {};
        } else if constexpr (std::is_same_v<T, IdempotencyKeyRecord>) {
          add_key(std::string(r.queue), std::string(r.key), r.id, r.seen_at_ms);
          return {};
        } else if constexpr (std::is_same_v<T, CompletedRecord>) {
          completions_[r.id] = {std::string(r.queue), r.completed_at_ms};
          return {};
        } else if constexpr (std::is_same_v<T, ScheduleSetRecord>) {
          if (r.info.id > kLastUsableId) return out_of_range(r.info.id);
          schedules_[r.info.id] = r.info;
          next_id_ = std::max(next_id_, r.info.id + 1);  // schedules share the id counter
          return {};
        } else if constexpr (std::is_same_v<T, ScheduleDeletedRecord>) {
          schedules_.erase(r.schedule_id);
          return {};
        } else {
          RecoveredEnvelope* e = live(id);
          if (!e) {
            if (id < base_id_) {
              ++orphans_;  // its history went with a compacted prefix of the log
              return {};
            }
            return fmt::format("{} of unknown message {}", record_type_name(type_of(record)), id);
          }
          auto expect = [&](RecoveredEnvelope::State s) -> std::string {
            if (e->state == s) return {};
            return fmt::format("{} of message {} which is {}, not {}",
                               record_type_name(type_of(record)), id, state_name(e->state),
                               state_name(s));
          };
          using S = RecoveredEnvelope::State;
          if constexpr (std::is_same_v<T, LeasedRecord>) {
            if (auto bad = expect(S::kPending); !bad.empty()) return bad;
            if (r.attempt != e->attempts + 1) {
              return fmt::format("lease of message {} as attempt {}, expected {}", id, r.attempt,
                                 e->attempts + 1);
            }
            e->state = S::kLeased;
            e->attempts = r.attempt;
            e->lease_consumer = r.consumer;
            e->lease_deadline_ms = r.deadline_ms;
          } else if constexpr (std::is_same_v<T, AckedRecord>) {
            if (auto bad = expect(S::kLeased); !bad.empty()) return bad;
            completions_[id] = {e->queue, r.at_ms};
            envelopes_.erase(id);
          } else if constexpr (std::is_same_v<T, RetryScheduledRecord>) {
            if (auto bad = expect(S::kLeased); !bad.empty()) return bad;
            e->state = S::kPending;
            e->available_at_ms = r.available_at_ms;
            e->failures.push_back(
                {r.attempt, r.failed_at_ms, std::string(r.error), std::string(r.error_class)});
          } else if constexpr (std::is_same_v<T, ReturnedRecord>) {
            if (auto bad = expect(S::kLeased); !bad.empty()) return bad;
            if (r.reason != ReturnReason::kReleased) {
              const bool expired = r.reason == ReturnReason::kLeaseExpired;
              e->failures.push_back(
                  {r.attempts, r.at_ms,
                   std::string(expired ? kLeaseExpiredError : kConsumerGoneError),
                   std::string(expired ? kLeaseExpiredClass : kConsumerGoneClass)});
            }
            e->state = S::kPending;
            e->attempts = r.attempts;
          } else if constexpr (std::is_same_v<T, DeadLetteredRecord>) {
            if (auto bad = expect(S::kLeased); !bad.empty()) return bad;
            e->state = S::kDead;
            e->attempts = r.attempt;
            e->failures.push_back(
                {r.attempt, r.failed_at_ms, std::string(r.error), std::string(r.error_class)});
          } else if constexpr (std::is_same_v<T, DeadRetriedRecord>) {
            if (auto bad = expect(S::kDead); !bad.empty()) return bad;
            e->state = S::kPending;
            e->attempts = 0;
            e->available_at_ms = r.available_at_ms;
          } else if constexpr (std::is_same_v<T, DeletedRecord>) {
            if (auto bad = expect(S::kDead); !bad.empty()) return bad;
            envelopes_.erase(id);
          }
          return {};
        }
      },
      record);
}

}  // namespace symphony::wal
