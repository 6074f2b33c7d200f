#pragma once
// LogState: the state a log describes, rebuilt by applying its records in order. Recovery uses
// it to restart the broker; symphony-wal uses it to verify, inspect and replay a log offline.
//
// Replay rules (the state machine of docs/protocol.md §6, as the log records it):
//   enqueued         new id (ids strictly increase in enqueue order), pending
//   snapshot         replaces all that is known about the id (compaction rewrite)
//   leased           pending -> leased, attempt = attempts + 1
//   acked            leased -> gone
//   retry_scheduled  leased -> pending at available_at, failure recorded
//   returned         leased -> pending; expiry/disconnect record a failure, release gives the
//                    attempt back
//   dead_lettered    leased -> dead, failure recorded
//   dead_retried     dead -> pending, attempts reset to 0
//   deleted          dead -> gone
//   queue_purged     every pending envelope of the queue -> gone
//   idempotency_key  a key kept past its envelope
//   completed        an acked envelope kept for status queries (acked records count as such too)
//   schedule_set     replaces a schedule; schedule_deleted removes it (unknown: nothing to do,
//                    its earlier records may have been compacted away)
// Compaction deletes a prefix of the log, so records about ids below `base_id` (everything the
// deleted groups enqueued) may refer to envelopes whose earlier history is gone: those are
// skipped. Any other record that breaks the rules is illegal: apply() says why and changes
// nothing. So is an enqueue, snapshot or schedule with the id 2^64 - 1, which would leave the id
// counter nothing above it to hand out.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "wal/group.h"
#include "wal/record.h"

namespace symphony::wal {

struct RecoveredFailure {
  uint32_t attempt = 0;
  int64_t failed_at_ms = 0;
  std::string error;
  std::string error_class;
};

struct RecoveredEnvelope {
  enum class State : uint8_t { kPending, kLeased, kDead };
  uint64_t id = 0;
  std::string queue;
  uint8_t priority = 0;
  State state = State::kPending;
  int64_t created_at_ms = 0;
  int64_t available_at_ms = 0;
  uint32_t attempts = 0;
  uint16_t max_retries = 0;
  std::string idempotency_key;
  std::vector<RecoveredFailure> failures;
  std::string body;
  // while leased
  uint64_t lease_consumer = 0;
  int64_t lease_deadline_ms = 0;
};

struct RecoveredCompletion {
  std::string queue;
  int64_t completed_at_ms = 0;
};

struct RecoveredKey {
  std::string queue;
  std::string key;
  uint64_t id = 0;
  int64_t seen_at_ms = 0;
};

class LogState {
 public:
  /// `base_id`: ids below it may have lost their history to compaction (meta "base_id").
  explicit LogState(uint64_t base_id = 0) : base_id_(base_id) {}

  /// Applies one record. Returns "" when legal, else why not (and the state is unchanged).
  std::string apply(const Record& record);
  /// Notes a group's header (the id counter it carries).
  void observe_group(const GroupHeader& header);

  const std::unordered_map<uint64_t, RecoveredEnvelope>& envelopes() const { return envelopes_; }
  std::unordered_map<uint64_t, RecoveredEnvelope>& envelopes() { return envelopes_; }
  /// Idempotency keys seen, keyed by queue + '\0' + key.
  const std::map<std::string, RecoveredKey>& keys() const { return keys_; }
  std::map<std::string, RecoveredKey>& keys() { return keys_; }
  /// Acked envelopes by id, when and in which queue (retention is applied by the broker).
  const std::unordered_map<uint64_t, RecoveredCompletion>& completions() const {
    return completions_;
  }
  std::unordered_map<uint64_t, RecoveredCompletion>& completions() { return completions_; }
  const std::map<uint64_t, protocol::ScheduleInfo>& schedules() const { return schedules_; }
  std::map<uint64_t, protocol::ScheduleInfo>& schedules() { return schedules_; }
  /// The id the broker must hand out next: never one the log has used.
  uint64_t next_id() const { return next_id_; }
  /// Makes the next id at least `floor` (the guard's id ceiling after a crash).
  void raise_next_id(uint64_t floor) { next_id_ = std::max(next_id_, floor); }
  uint64_t base_id() const { return base_id_; }
  /// Records skipped because their envelope's history was compacted away.
  uint64_t orphans() const { return orphans_; }

 private:
  RecoveredEnvelope* live(uint64_t id);
  void add_key(const std::string& queue, const std::string& key, uint64_t id, int64_t seen_at);
  std::string set_from(const EnvelopeRecord& r, bool snapshot);

  uint64_t base_id_;
  uint64_t next_id_ = 1;
  uint64_t last_enqueued_ = 0;
  uint64_t orphans_ = 0;
  std::unordered_map<uint64_t, RecoveredEnvelope> envelopes_;
  std::map<std::string, RecoveredKey> keys_;
  std::unordered_map<uint64_t, RecoveredCompletion> completions_;
  std::map<uint64_t, protocol::ScheduleInfo> schedules_;
};

}  // namespace symphony::wal
