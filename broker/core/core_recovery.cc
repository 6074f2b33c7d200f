// Core: restore from a replayed log, and the log rewrite that compaction relies on.
#include "broker/core/core.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "protocol/message_body.h"

namespace symphony::broker {

using protocol::ErrorCode;

// ---- recovery and compaction ----

void Core::restore(wal::LogState& state, TimeMs now) {
  now = advance(now);
  envelopes_.reserve(state.envelopes().size());
  // Each recovered entry is freed as soon as it has been moved, so that the core's allocations
  // reuse its memory instead of faulting in as much again (recovery time is mostly page faults).
  auto& recovered = state.envelopes();
  std::vector<MessageId> cut_leases;
  for (auto it = recovered.begin(); it != recovered.end(); it = recovered.erase(it)) {
    const MessageId id = it->first;
    wal::RecoveredEnvelope& r = it->second;
    Queue& q = queue_for(r.queue);
    Envelope& e = envelopes_.create(id, r.body.size());
    if (!r.body.empty()) std::memcpy(e.body_data(), r.body.data(), r.body.size());
    e.queue = q.index();
    e.created_at_ms = r.created_at_ms;
    e.available_at_ms = r.available_at_ms;
    e.attempts = r.attempts;  // a lease cut by the restart keeps its attempt
    e.max_retries = r.max_retries;
    e.priority = r.priority;
    if (!r.idempotency_key.empty() || !r.failures.empty()) {
      EnvelopeExtras& x = extras_for(id);
      x.idempotency_key = std::move(r.idempotency_key);
      x.failures.reserve(r.failures.size());
      for (auto& f : r.failures) {
        x.failures.push_back(
            {f.attempt, f.failed_at_ms, std::move(f.error), std::move(f.error_class)});
      }
    }
    live_bytes_ += record_bytes(e);
    if (r.state == wal::RecoveredEnvelope::State::kDead) {
      e.state = EnvelopeState::kDead;
      ++q.dead;
      dead_index_.emplace(failed_at(e), id);
    } else if (r.state == wal::RecoveredEnvelope::State::kLeased) {
      // held by a consumer of the previous run (no consumer now): returned below, like any
      // disconnect
      e.state = EnvelopeState::kLeased;
      leases_.insert_or_assign(id, Lease{0, 0, now});
      ++q.in_flight;
      cut_leases.push_back(id);
    } else {
      schedule_available(e, now);
    }
  }
  // The restart ended those leases: the same rule as a disconnect applies (the attempt stays
  // counted, a failure is recorded, and past max_retries the envelope is dead-lettered), and the
  // log says so, because a later replay accepts a new lease only of a pending envelope.
  std::sort(cut_leases.begin(), cut_leases.end());  // deterministic log order
  for (MessageId id : cut_leases)
    return_lease(*envelopes_.find(id), wal::ReturnReason::kConsumerGone, now);
  // the index takes keys in the order they were seen
  std::vector<wal::RecoveredKey*> keys;
  keys.reserve(state.keys().size());
  for (auto& [composite, k] : state.keys()) {
    if (k.seen_at_ms + options_.idempotency_window_ms > now) keys.push_back(&k);
  }
  std::sort(keys.begin(), keys.end(), [](const auto* a, const auto* b) {
    return a->seen_at_ms != b->seen_at_ms ? a->seen_at_ms < b->seen_at_ms : a->id < b->id;
  });
  for (const wal::RecoveredKey* k : keys)
    idempotency_.insert(k->queue, k->key, k->id, k->seen_at_ms);
  // completed envelopes still inside the retention, oldest first (so expiry stays FIFO)
  std::vector<std::pair<TimeMs, MessageId>> done;
  for (const auto& [id, c] : state.completions()) {
    if (c.completed_at_ms + options_.completed_retention_ms > now)
      done.emplace_back(c.completed_at_ms, id);
  }
  std::sort(done.begin(), done.end());
  for (const auto& [at, id] : done) {
    remember_completed(id, queue_for(state.completions().at(id).queue), at);
  }
  // schedules: a run missed while the broker was down is due now, and fires once
  for (auto& [id, info] : state.schedules()) {
    Schedule sched;
    sched.info = std::move(info);
    prepare_schedule(sched);  // it was valid when created; a vanished zone only stops its runs
    if (sched.info.spec.enabled && sched.info.next_run_at_ms) {
      timers_.push(sched.info.next_run_at_ms, id, TimerHeap::Kind::kSchedule);
    }
    schedules_.emplace(id, std::move(sched));
  }
  next_id_ = std::max(next_id_, state.next_id());
}

void Core::begin_log_rewrite() {
  if (rewrite_running_) return;
  rewrite_running_ = true;
  rewrite_ids_.clear();
  rewrite_ids_.reserve(envelopes_.size());
  envelopes_.for_each_id([&](MessageId id) { rewrite_ids_.push_back(id); });
  std::sort(rewrite_ids_.begin(), rewrite_ids_.end());
  rewrite_next_ = 0;
  rewrite_key_pos_ = idempotency_.first_position();
  rewrite_key_end_ = idempotency_.end_position();
  rewrite_completed_.assign(completed_order_.begin(), completed_order_.end());
  // schedules are few and small: all of them go with the first chunk
  for (const auto& [id, sched] : schedules_) log_schedule(sched);
}

bool Core::continue_log_rewrite(size_t max_items) {
  if (!rewrite_running_) return true;
  size_t budget = max_items;
  // a chunk also ends after kRewriteChunkBytes of snapshots: with large messages, 20000 of them
  // in one turn made a record buffer, a log write and a memtable of hundreds of MB at once
  const size_t bytes_at_start = log_.bytes().size();
  while (budget > 0 && rewrite_next_ < rewrite_ids_.size() &&
         log_.bytes().size() - bytes_at_start < kRewriteChunkBytes) {
    // envelopes gone since the rewrite began need nothing, except an acked one: its `acked`
    // record follows the rewrite, but refers to an id whose history the rewrite drops, so replay
    // skips it; the completion must be written again like those of before the rewrite
    const MessageId id = rewrite_ids_[rewrite_next_];
    if (const Envelope* e = envelopes_.find(id)) {
      log_envelope(*e, true);
    } else if (auto it = completed_.find(id); it != completed_.end()) {
      log_.append(wal::CompletedRecord{id, it->second.queue->name(), it->second.at});
    }
    ++rewrite_next_;
    --budget;
  }
  if (rewrite_next_ < rewrite_ids_.size()) return false;  // the envelopes go first
  if (budget > 0 && rewrite_key_pos_ < rewrite_key_end_) {
    const size_t n = std::min<uint64_t>(budget, rewrite_key_end_ - rewrite_key_pos_);
    idempotency_.visit(
        rewrite_key_pos_, n,
        [&](std::string_view queue, std::string_view key, MessageId id, TimeMs seen_at) {
          // a live envelope's snapshot carries its key already
          if (!envelopes_.find(id)) log_.append(wal::IdempotencyKeyRecord{id, queue, key, seen_at});
        });
    budget -= n;
  }
  while (budget > 0 && !rewrite_completed_.empty()) {
    const MessageId id = rewrite_completed_.back();
    rewrite_completed_.pop_back();
    if (auto it = completed_.find(id); it != completed_.end()) {
      log_.append(wal::CompletedRecord{id, it->second.queue->name(), it->second.at});
    }
    --budget;
  }
  if (rewrite_next_ < rewrite_ids_.size() || rewrite_key_pos_ < rewrite_key_end_ ||
      !rewrite_completed_.empty()) {
    return false;
  }
  rewrite_running_ = false;
  rewrite_ids_.clear();
  rewrite_ids_.shrink_to_fit();
  return true;
}

}  // namespace symphony::broker
