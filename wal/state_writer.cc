#include "wal/state_writer.h"

#include <algorithm>
#include <vector>

#include "wal/group.h"
#include "wal/record_buffer.h"

namespace symphony::wal {

StoreStatus write_state(LogStore& store, const LogState& state, const StateWriteOptions& o,
                        uint64_t& groups) {
  groups = 0;
  // envelopes in id order, so the new log reads like the old one
  std::vector<const RecoveredEnvelope*> envelopes;
  envelopes.reserve(state.envelopes().size());
  for (const auto& [id, e] : state.envelopes()) envelopes.push_back(&e);
  std::sort(envelopes.begin(), envelopes.end(),
            [](const auto* a, const auto* b) { return a->id < b->id; });

  RecordBuffer buffer;
  std::string value;
  uint64_t seq = o.first_seq;
  auto flush = [&](bool last) -> StoreStatus {
    GroupHeader h;
    h.seq = seq;
    h.first_epoch = o.epoch;
    h.last_epoch = o.epoch;
    h.next_message_id = state.next_id();
    h.written_at_ms = o.now_ms;
    h.record_count = buffer.count();
    encode_group(value, h, buffer.bytes());
    std::optional<GroupRange> drop;
    std::vector<std::pair<std::string, std::string>> meta;
    if (last && o.drop_older) {
      if (o.first_seq > 0) drop = GroupRange{0, o.first_seq};
      meta.emplace_back("base_id", encode_meta_u64(state.next_id()));
    }
    StoreStatus st = store.write_group(seq, value, /*sync=*/last, drop, meta);
    if (!st.ok) return st;
    ++seq;
    ++groups;
    buffer.clear();
    return {};
  };

  std::vector<FailureView> failures;
  for (const RecoveredEnvelope* e : envelopes) {
    EnvelopeRecord r;
    r.id = e->id;
    r.queue = e->queue;
    r.priority = e->priority;
    r.state = e->state == RecoveredEnvelope::State::kDead     ? PersistedState::kDead
              : e->state == RecoveredEnvelope::State::kLeased ? PersistedState::kLeased
                                                              : PersistedState::kPending;
    r.created_at_ms = e->created_at_ms;
    r.available_at_ms = e->available_at_ms;
    r.attempts = e->attempts;
    r.max_retries = e->max_retries;
    r.idempotency_key = e->idempotency_key;
    r.body = e->body;
    failures.clear();
    for (const auto& f : e->failures) {
      failures.push_back({f.attempt, f.failed_at_ms, f.error, f.error_class});
    }
    buffer.append_envelope(r, failures, /*snapshot=*/true);
    if (buffer.bytes().size() >= o.max_group_bytes) {
      if (StoreStatus st = flush(false); !st.ok) return st;
    }
  }
  for (const auto& [id, info] : state.schedules()) buffer.append(ScheduleSetRecord{info});
  for (const auto& [id, c] : state.completions()) {
    buffer.append(CompletedRecord{id, c.queue, c.completed_at_ms});
  }
  for (const auto& [composite, k] : state.keys()) {
    if (state.envelopes().count(k.id)) continue;  // its snapshot carries the key
    buffer.append(IdempotencyKeyRecord{k.id, k.queue, k.key, k.seen_at_ms});
  }
  return flush(true);
}

}  // namespace symphony::wal
