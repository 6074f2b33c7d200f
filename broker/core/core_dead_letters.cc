// Core: dead-letter operations, queue purge, message status and the completed-envelope retention
// behind it.
#include <fmt/format.h>

#include <algorithm>

#include "broker/core/core.h"
#include "protocol/message_body.h"

namespace symphony::broker {

using protocol::ErrorCode;

namespace {

protocol::DeadLetterSummary summarize(const EnvelopeView& e) {
  protocol::DeadLetterSummary s;
  s.id = e.id;
  s.queue = e.queue;
  s.type = message_type(e.body);
  s.priority = e.priority;
  s.created_at_ms = e.created_at_ms;
  s.failed_at_ms = e.failures.empty() ? e.created_at_ms : e.failures.back().failed_at_ms;
  s.attempts = e.attempts;
  if (!e.failures.empty()) {
    s.error = e.failures.back().error;
    s.error_class = e.failures.back().error_class;
  }
  return s;
}

}  // namespace

bool Core::dead_matches(const Envelope& e, const protocol::DeadLetterFilter& f) const {
  if (!f.queue.empty() && queue_of(e).name() != f.queue) return false;
  if (!f.type.empty() && message_type(e.body()) != f.type) return false;
  if (!f.error_class.empty()) {
    const std::span<const Failure> failures = failures_of(e.id);
    if (failures.empty() || failures.back().error_class != f.error_class) return false;
  }
  const TimeMs at = failed_at(e);
  if (f.failed_from_ms != 0 && at < f.failed_from_ms) return false;
  if (f.failed_to_ms != 0 && at > f.failed_to_ms) return false;
  return true;
}

protocol::FailedListResult Core::list_dead(const protocol::FailedListRequest& request) const {
  protocol::FailedListResult out;
  const uint32_t limit = std::clamp<uint32_t>(request.limit, 1, 1000);
  const bool from_start = request.cursor_failed_at_ms == 0 && request.cursor_id == 0;
  const std::pair<TimeMs, MessageId> cursor{request.cursor_failed_at_ms, request.cursor_id};
  // newest first; the cursor is the last item of the previous page
  for (auto it = dead_index_.rbegin(); it != dead_index_.rend(); ++it) {
    const Envelope* e = envelopes_.find(it->second);
    if (!e || !dead_matches(*e, request.filter)) continue;
    ++out.total;
    if (!from_start && !(*it < cursor)) continue;
    if (out.items.size() < limit) {
      out.items.push_back(summarize(view(*e)));
    } else if (out.next_cursor_id == 0) {
      const auto& last = out.items.back();
      out.next_cursor_failed_at_ms = last.failed_at_ms;
      out.next_cursor_id = last.id;
    }
  }
  return out;
}

ErrorCode Core::get_dead(MessageId id, protocol::DeadLetterDetail& out) const {
  const std::optional<EnvelopeView> e = find(id);
  if (!e || e->state != EnvelopeState::kDead) return ErrorCode::kUnknownMessage;
  out.summary = summarize(*e);
  out.failures.clear();
  for (const Failure& f : e->failures) {
    out.failures.push_back({f.attempt, f.failed_at_ms, f.error, f.error_class});
  }
  protocol::MessageBodyView body;
  protocol::parse_message_body(e->body, body);
  out.headers = protocol::to_header_list(body.headers);
  out.metadata.assign(body.metadata);
  out.payload.assign(body.payload);
  out.idempotency_key = e->idempotency_key;
  return ErrorCode::kOk;
}

std::vector<MessageId> Core::dead_targets(const protocol::DeadLetterTarget& t,
                                          protocol::DeadLetterActionResult& out) const {
  std::vector<MessageId> ids;
  if (t.by_filter) {
    for (const auto& [at, id] : dead_index_) {
      if (const Envelope* e = envelopes_.find(id); e && dead_matches(*e, t.filter)) {
        ids.push_back(id);
      }
    }
    return ids;
  }
  for (MessageId id : t.ids) {
    const Envelope* e = envelopes_.find(id);
    if (e && e->state == EnvelopeState::kDead) {
      ids.push_back(id);
    } else {
      out.failures.push_back({id, ErrorCode::kUnknownMessage});
    }
  }
  return ids;
}

void Core::leave_dead(Envelope& e) {
  dead_index_.erase({failed_at(e), e.id});
  --queue_of(e).dead;
}

protocol::DeadLetterActionResult Core::retry_dead(const protocol::DeadLetterTarget& target,
                                                  bool dry_run, TimeMs now) {
  now = advance(now);
  protocol::DeadLetterActionResult out;
  for (MessageId id : dead_targets(target, out)) {
    out.ids.push_back(id);
    if (dry_run) continue;
    Envelope& e = *find_mutable(id);
    leave_dead(e);
    e.attempts = 0;  // a fresh start: the retry count is reset, the failure history kept
    e.available_at_ms = now;
    make_ready(e);
    log_.append(wal::DeadRetriedRecord{id, now});
  }
  return out;
}

protocol::DeadLetterActionResult Core::delete_dead(const protocol::DeadLetterTarget& target,
                                                   TimeMs now) {
  now = advance(now);
  protocol::DeadLetterActionResult out;
  for (MessageId id : dead_targets(target, out)) {
    out.ids.push_back(id);
    leave_dead(*find_mutable(id));
    log_.append(wal::DeletedRecord{id, now});
    erase_envelope(id);
  }
  return out;
}

ErrorCode Core::purge_queue(std::string_view name, TimeMs now, uint64_t& removed) {
  now = advance(now);
  removed = 0;
  auto qit = queues_.find(name);
  if (qit == queues_.end()) return ErrorCode::kQueueNotFound;
  Queue& q = *qit->second;
  // Delayed envelopes have no per-queue index, so this walks every envelope: purge is an
  // operator's action, not a hot path.
  std::vector<MessageId> gone;
  envelopes_.for_each([&](const Envelope& e) {
    if (e.queue == q.index() &&
        (e.state == EnvelopeState::kReady || e.state == EnvelopeState::kDelayed)) {
      gone.push_back(e.id);
    }
  });
  for (MessageId id : gone) erase_envelope(id);
  removed = gone.size();
  q.ready.clear();
  q.delayed = 0;
  log_.append(wal::QueuePurgedRecord{q.name(), now});
  return ErrorCode::kOk;
}

protocol::MessageStatusItem Core::status(MessageId id) const {
  protocol::MessageStatusItem out;
  out.id = id;
  if (const Envelope* e = envelopes_.find(id)) {
    out.status = status_of(e->state);
    out.queue = queue_of(*e).name();
    out.attempts = e->attempts;
    out.at_ms = e->state == EnvelopeState::kDead ? failed_at(*e) : e->created_at_ms;
    return out;
  }
  if (auto it = completed_.find(id); it != completed_.end()) {
    out.status = protocol::EnvelopeStatus::kCompleted;
    out.queue = it->second.queue->name();
    out.at_ms = it->second.at;
    return out;
  }
  out.code = ErrorCode::kUnknownMessage;
  return out;
}

namespace {
// a completed record is about this big in the log: the compaction trigger counts it as live
constexpr uint64_t kCompletedRecordBytes = 40;
}  // namespace

void Core::remember_completed(MessageId id, const Queue& q, TimeMs at) {
  if (options_.completed_retention_count == 0 || options_.completed_retention_ms <= 0) return;
  if (completed_.insert_or_assign(id, Completion{&q, at}).second) {
    live_bytes_ += kCompletedRecordBytes;
  }
  completed_order_.push_back(id);
  while (completed_order_.size() > options_.completed_retention_count) forget_oldest_completed();
}

void Core::forget_oldest_completed() {
  if (completed_.erase(completed_order_.front()) > 0) {
    live_bytes_ -= std::min(live_bytes_, kCompletedRecordBytes);
  }
  completed_order_.pop_front();
}

void Core::expire_completed(TimeMs now) {
  while (!completed_order_.empty()) {
    auto it = completed_.find(completed_order_.front());
    if (it != completed_.end() && it->second.at + options_.completed_retention_ms > now) break;
    forget_oldest_completed();
  }
}

}  // namespace symphony::broker
