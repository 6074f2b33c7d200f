#include "broker/core/core.h"

#include <fmt/format.h>

#include <algorithm>

#include "protocol/message_body.h"

namespace symphony::broker {

using protocol::ErrorCode;

std::string_view message_type(std::string_view body) {
  protocol::MessageBodyView v;
  return protocol::parse_message_body(body, v) ? v.type : std::string_view();
}

protocol::EnvelopeStatus status_of(EnvelopeState state) {
  switch (state) {
    case EnvelopeState::kDelayed:
    case EnvelopeState::kReady: return protocol::EnvelopeStatus::kPending;
    case EnvelopeState::kLeased: return protocol::EnvelopeStatus::kProcessing;
    case EnvelopeState::kDead: return protocol::EnvelopeStatus::kFailed;
  }
  return protocol::EnvelopeStatus::kPending;
}

Core::Core(CoreOptions options, wal::RecordBuffer& log, DeliverySink& sink)
    : options_(std::move(options)),
      log_(log),
      sink_(sink),
      validator_(options_.limits),
      idempotency_(options_.idempotency_window_ms),
      random_(options_.random_seed) {
  // a declared queue exists from the start: stats, purge and /status know it before its first
  // message
  for (const auto& [name, settings] : options_.queues) queue_for(name);
}

Core::~Core() = default;

TimeMs Core::advance(TimeMs now) {
  // The wall clock may step back; the core's time never does, so deadlines stay ordered.
  last_now_ = std::max(last_now_, now);
  return last_now_;
}

Queue& Core::queue_for(std::string_view name) {
  auto it = queues_.find(name);
  if (it != queues_.end()) return *it->second;
  auto declared = options_.queues.find(name);
  const bool is_declared = declared != options_.queues.end();
  auto q = std::make_unique<Queue>(std::string(name), static_cast<uint32_t>(queue_list_.size()),
                                   is_declared ? declared->second : QueueSettings{}, is_declared);
  Queue& ref = *q;
  queues_.emplace(std::string(name), std::move(q));
  queue_list_.push_back(&ref);
  return ref;
}

Queue* Core::queue_checked(std::string_view name, ErrorCode& code) {
  if (options_.strict_queues && !options_.queues.count(name) && name != options_.default_queue) {
    code = ErrorCode::kQueueNotFound;
    return nullptr;
  }
  code = ErrorCode::kOk;
  return &queue_for(name);
}

Consumer* Core::find_consumer(ConsumerId id) {
  auto it = consumers_.find(id);
  return it == consumers_.end() ? nullptr : &it->second;
}

Envelope* Core::find_mutable(MessageId id) {
  return envelopes_.find(id);
}

std::optional<EnvelopeView> Core::find(MessageId id) const {
  const Envelope* e = envelopes_.find(id);
  if (!e) return std::nullopt;
  return view(*e);
}

const EnvelopeExtras* Core::extras_of(MessageId id) const {
  if (extras_.empty()) return nullptr;  // the common case: no envelope has any
  auto it = extras_.find(id);
  return it == extras_.end() ? nullptr : &it->second;
}

std::span<const Failure> Core::failures_of(MessageId id) const {
  const EnvelopeExtras* x = extras_of(id);
  return x ? std::span<const Failure>(x->failures) : std::span<const Failure>();
}

TimeMs Core::failed_at(const Envelope& e) const {
  const std::span<const Failure> f = failures_of(e.id);
  return f.empty() ? e.created_at_ms : f.back().failed_at_ms;
}

EnvelopeView Core::view(const Envelope& e) const {
  EnvelopeView v;
  v.id = e.id;
  v.queue = queue_of(e).name();
  v.created_at_ms = e.created_at_ms;
  v.available_at_ms = e.available_at_ms;
  v.attempts = e.attempts;
  v.max_retries = e.max_retries;
  v.priority = e.priority;
  v.state = e.state;
  v.body = e.body();
  if (const EnvelopeExtras* x = extras_of(e.id)) {
    v.idempotency_key = x->idempotency_key;
    v.failures = x->failures;
  }
  if (e.state == EnvelopeState::kLeased) {
    if (auto it = leases_.find(e.id); it != leases_.end()) {
      v.lease_holder = it->second.holder;
      v.lease_deadline_ms = it->second.deadline_ms;
      v.leased_at_ms = it->second.leased_at_ms;
    }
  }
  return v;
}

const RetryPolicy& Core::policy_for(const Envelope& e) const {
  return options_.retry.for_type(message_type(e.body()));
}

void Core::mark_dirty(Queue& q) {
  if (!q.dirty) {
    q.dirty = true;
    dirty_queues_.push_back(&q);
  }
}

void Core::mark_dirty(Consumer& c) {
  if (!c.dirty) {
    c.dirty = true;
    dirty_consumers_.push_back(c.id);
  }
}

uint64_t Core::record_bytes(const Envelope& e) const {
  // the fixed part of an EnvelopeRecord is about 48 bytes, plus its strings
  const EnvelopeExtras* x = extras_of(e.id);
  return 64 + queue_of(e).name().size() + (x ? x->idempotency_key.size() : 0) + e.body_size;
}

void Core::erase_envelope(MessageId id) {
  const Envelope* e = envelopes_.find(id);
  if (!e) return;
  live_bytes_ -= std::min(live_bytes_, record_bytes(*e));
  if (!extras_.empty()) extras_.erase(id);
  envelopes_.erase(id);
}

void Core::log_envelope(const Envelope& e, bool snapshot) {
  const EnvelopeExtras* x = extras_of(e.id);
  std::vector<wal::FailureView> failures;
  if (x) {
    failures.reserve(x->failures.size());
    for (const Failure& f : x->failures) {
      failures.push_back({f.attempt, f.failed_at_ms, f.error, f.error_class});
    }
  }
  wal::EnvelopeRecord rec;
  rec.id = e.id;
  rec.queue = queue_of(e).name();
  rec.priority = e.priority;
  // a compaction snapshot of a leased envelope must say so: the ack or nack that follows it in
  // the log is legal only for a leased envelope
  rec.state = e.state == EnvelopeState::kDead     ? wal::PersistedState::kDead
              : e.state == EnvelopeState::kLeased ? wal::PersistedState::kLeased
                                                  : wal::PersistedState::kPending;
  rec.created_at_ms = e.created_at_ms;
  rec.available_at_ms = e.available_at_ms;
  rec.attempts = e.attempts;
  rec.max_retries = e.max_retries;
  if (x) rec.idempotency_key = x->idempotency_key;
  rec.body = e.body();
  log_.append_envelope(rec, failures, snapshot);
}

void Core::deliver(TimeMs now) {
  now = advance(now);
  // consumers that gained credit pull first: they pick the best head across their queues
  for (size_t i = 0; i < dirty_consumers_.size(); ++i) {
    if (Consumer* c = find_consumer(dirty_consumers_[i])) {
      c->dirty = false;
      fill_consumer(*c, now);
    }
  }
  dirty_consumers_.clear();
  // Feed the queue with the best head first, so a consumer of several queues that can take only
  // one more message gets the highest priority among everything that arrived in this batch.
  for (Queue* q : dirty_queues_) ready_top(*q);  // drop stale tops before comparing
  std::sort(dirty_queues_.begin(), dirty_queues_.end(), [](const Queue* a, const Queue* b) {
    if (a->ready.empty() || b->ready.empty()) return !a->ready.empty() && b->ready.empty();
    return ReadyHeap::before(a->ready.top(), b->ready.top());
  });
  for (Queue* q : dirty_queues_) {
    q->dirty = false;
    feed_queue(*q, now);
  }
  dirty_queues_.clear();
}

void Core::tick(TimeMs now) {
  now = advance(now);
  while (!timers_.empty() && timers_.top().due <= now) {
    const TimerHeap::Entry t = timers_.top();
    timers_.pop();
    if (!timer_live(t)) continue;
    if (t.kind == TimerHeap::Kind::kSchedule) {
      fire_schedule(schedules_.at(t.id), now);
      continue;
    }
    Envelope& e = *find_mutable(t.id);
    if (t.kind == TimerHeap::Kind::kAvailable) {
      --queue_of(e).delayed;
      make_ready(e);
    } else {
      return_lease(e, wal::ReturnReason::kLeaseExpired, now);
    }
  }
  idempotency_.expire(now);
  expire_completed(now);
  if (timers_.size() >= timer_prune_at_) {
    // amortized O(1) per timer: the next prune waits until the heap has doubled again
    timers_.prune([this](const TimerHeap::Entry& t) { return timer_live(t); });
    timer_prune_at_ = std::max(kMinTimerPruneAt, 2 * timers_.size());
  }
}

// ---- queries ----

bool Core::timer_live(const TimerHeap::Entry& t) const {
  if (t.kind == TimerHeap::Kind::kSchedule) {
    auto it = schedules_.find(t.id);
    return it != schedules_.end() && it->second.info.spec.enabled &&
           it->second.info.next_run_at_ms == t.due;
  }
  const Envelope* e = envelopes_.find(t.id);
  if (!e) return false;
  if (t.kind == TimerHeap::Kind::kAvailable) {
    return e->state == EnvelopeState::kDelayed && e->available_at_ms == t.due;
  }
  if (e->state != EnvelopeState::kLeased) return false;
  auto it = leases_.find(t.id);
  return it != leases_.end() && it->second.deadline_ms == t.due;
}

std::optional<TimeMs> Core::next_wakeup() const {
  // ack, nack and touch leave their old timers behind; report the first one tick() would act on
  while (!timers_.empty() && !timer_live(timers_.top())) timers_.pop();
  return timers_.next_due();
}

std::vector<protocol::QueueStats> Core::stats(std::string_view queue) const {
  std::vector<protocol::QueueStats> out;
  auto add = [&](const Queue& q) {
    protocol::QueueStats s;
    s.name = q.name();
    s.ready = q.ready.size();
    s.delayed = q.delayed;
    s.in_flight = q.in_flight;
    s.dead = q.dead;
    s.consumers = q.subscribers.size();
    s.dispatched_total = q.metrics.dispatched;
    s.delivered_total = q.metrics.delivered;
    s.acked_total = q.metrics.acked;
    s.retried_total = q.metrics.retried;
    s.dead_lettered_total = q.metrics.dead_lettered;
    s.expired_total = q.metrics.expired;
    out.push_back(std::move(s));
  };
  if (!queue.empty()) {
    auto it = queues_.find(queue);
    if (it != queues_.end()) add(*it->second);
    return out;
  }
  for (const auto& [name, q] : queues_) add(*q);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::vector<const Queue*> Core::queues() const {
  std::vector<const Queue*> out;
  out.reserve(queues_.size());
  for (const auto& [name, q] : queues_) out.push_back(q.get());
  std::sort(out.begin(), out.end(),
            [](const Queue* a, const Queue* b) { return a->name() < b->name(); });
  return out;
}

}  // namespace symphony::broker
