#include "broker/core/core.h"

#include <fmt/format.h>

#include <algorithm>

#include "protocol/message_body.h"

namespace symphony::broker {

using protocol::ErrorCode;

namespace {

constexpr std::string_view kLeaseExpiredError = "lease expired";
constexpr std::string_view kLeaseExpiredClass = "LeaseExpired";
constexpr std::string_view kConsumerGoneError = "consumer disconnected while holding the lease";
constexpr std::string_view kConsumerGoneClass = "ConsumerGone";

std::string_view type_of_body(const std::string& body) {
  protocol::MessageBodyView v;
  return protocol::parse_message_body(body, v) ? v.type : std::string_view();
}

}  // namespace

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
      random_(options_.random_seed) {}

Core::~Core() = default;

TimeMs Core::advance(TimeMs now) {
  // The wall clock may step back; the core's time never does, so deadlines stay ordered.
  last_now_ = std::max(last_now_, now);
  return last_now_;
}

Queue& Core::queue_for(std::string_view name) {
  auto it = queues_.find(name);
  if (it != queues_.end()) return *it->second;
  auto q = std::make_unique<Queue>(std::string(name));
  Queue& ref = *q;
  queues_.emplace(std::string(name), std::move(q));
  return ref;
}

Consumer* Core::find_consumer(ConsumerId id) {
  auto it = consumers_.find(id);
  return it == consumers_.end() ? nullptr : &it->second;
}

Envelope* Core::find_mutable(MessageId id) {
  auto it = envelopes_.find(id);
  return it == envelopes_.end() ? nullptr : &it->second;
}

const Envelope* Core::find(MessageId id) const {
  auto it = envelopes_.find(id);
  return it == envelopes_.end() ? nullptr : &it->second;
}

const RetryPolicy& Core::policy_for(const Envelope& e) const {
  return options_.retry.for_type(type_of_body(e.body));
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

uint64_t Core::record_bytes(const Envelope& e) {
  // the fixed part of an EnvelopeRecord is about 48 bytes, plus its strings
  return 64 + e.queue->name().size() + e.idempotency_key.size() + e.body.size();
}

void Core::erase_envelope(MessageId id) {
  auto it = envelopes_.find(id);
  if (it == envelopes_.end()) return;
  live_bytes_ -= std::min(live_bytes_, record_bytes(it->second));
  envelopes_.erase(it);
}

void Core::log_envelope(const Envelope& e, bool snapshot) {
  std::vector<wal::FailureView> failures;
  failures.reserve(e.failures.size());
  for (const Failure& f : e.failures) {
    failures.push_back({f.attempt, f.failed_at_ms, f.error, f.error_class});
  }
  wal::EnvelopeRecord rec;
  rec.id = e.id;
  rec.queue = e.queue->name();
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
  rec.idempotency_key = e.idempotency_key;
  rec.body = e.body;
  log_.append_envelope(rec, failures, snapshot);
}

// ---- dispatch ----

void Core::dispatch(const protocol::DispatchMessage& m, uint32_t index, TimeMs now,
                    std::vector<protocol::DispatchResult>& out) {
  now = advance(now);
  protocol::DispatchResult res;
  res.index = index;
  ValidationError v = validator_.validate(m);
  if (v.ok()) {
    if (m.when == protocol::When::kDelayMs && m.when_value > options_.max_delay_ms) {
      v = {ErrorCode::kInvalidSchedule, fmt::format("delay {} ms is beyond the limit of {} ms",
                                                    m.when_value, options_.max_delay_ms)};
    } else if (m.when == protocol::When::kAtUnixMs && m.when_value > now + options_.max_delay_ms) {
      v = {ErrorCode::kInvalidSchedule, "scheduled_at is beyond the longest delay allowed"};
    }
  }
  if (!v.ok()) {
    res.code = v.code;
    res.error = std::move(v.detail);
    out.push_back(std::move(res));
    return;
  }
  Queue& q = queue_for(m.queue.empty() ? std::string_view(options_.default_queue) : m.queue);
  res.queue = q.name();

  if (!m.idempotency_key.empty()) {
    if (auto original = idempotency_.find(q.name(), m.idempotency_key, now)) {
      res.message_id = *original;
      res.duplicate = true;
      const Envelope* e = find(*original);
      res.status = e ? status_of(e->state) : protocol::EnvelopeStatus::kCompleted;
      out.push_back(std::move(res));
      return;
    }
  }

  TimeMs available = now;
  if (m.when == protocol::When::kDelayMs) available = now + m.when_value;
  if (m.when == protocol::When::kAtUnixMs) available = std::max(now, m.when_value);

  const MessageId id = next_id_++;
  Envelope& e = envelopes_[id];
  e.id = id;
  e.queue = &q;
  e.created_at_ms = now;
  e.available_at_ms = available;
  e.priority = m.priority ? m.priority : options_.default_priority;
  const protocol::MessageBodyView body{m.type, m.headers, m.metadata, m.payload};
  e.body.reserve(protocol::message_body_size(body));
  protocol::append_message_body(e.body, body);
  e.max_retries = options_.retry.for_type(m.type).max_retries;
  if (!m.idempotency_key.empty()) {
    e.idempotency_key.assign(m.idempotency_key);
    idempotency_.insert(q.name(), m.idempotency_key, id, now);
  }
  ++q.counters.dispatched;
  live_bytes_ += record_bytes(e);
  schedule_available(e, now);
  log_envelope(e);

  res.message_id = id;
  out.push_back(std::move(res));
}

void Core::schedule_available(Envelope& e, TimeMs now) {
  if (e.available_at_ms > now) {
    e.state = EnvelopeState::kDelayed;
    ++e.queue->delayed;
    timers_.push(e.available_at_ms, e.id, TimerHeap::Kind::kAvailable);
  } else {
    make_ready(e);
  }
}

void Core::make_ready(Envelope& e) {
  e.state = EnvelopeState::kReady;
  e.queue->ready.push(e.priority, e.available_at_ms, e.id);
  mark_dirty(*e.queue);
}

// ---- consuming ----

ErrorCode Core::subscribe(ConsumerId consumer, std::span<const std::string_view> queues,
                          uint32_t prefetch, uint32_t lease_ms, protocol::Subscribed& effective,
                          std::string& detail) {
  if (queues.empty()) {
    detail = "SUBSCRIBE names no queue";
    return ErrorCode::kInvalidArgument;
  }
  for (std::string_view name : queues) {
    if (!is_valid_queue_name(name, options_.limits.max_type_bytes)) {
      detail = fmt::format("invalid queue name '{}'", name.substr(0, 64));
      return ErrorCode::kInvalidQueueName;
    }
  }
  Consumer& c = consumers_[consumer];
  c.id = consumer;
  c.prefetch = std::min(prefetch ? prefetch : options_.default_prefetch, options_.max_prefetch);
  c.lease_ms = std::min(lease_ms ? lease_ms : options_.default_lease_ms, options_.max_lease_ms);
  for (std::string_view name : queues) {
    Queue& q = queue_for(name);
    if (c.subscription_for(&q)) continue;
    c.subscriptions.push_back({&q, false});
    q.subscribers.push_back(consumer);
  }
  mark_dirty(c);
  effective = {c.prefetch, c.lease_ms};
  return ErrorCode::kOk;
}

ErrorCode Core::set_prefetch(ConsumerId consumer, uint32_t prefetch, protocol::CreditOk& out) {
  Consumer* c = find_consumer(consumer);
  if (!c) return ErrorCode::kNotSubscribed;
  c->prefetch = std::min(prefetch, options_.max_prefetch);
  mark_dirty(*c);
  out = {c->prefetch, static_cast<uint32_t>(c->leases.size())};
  return ErrorCode::kOk;
}

Envelope* Core::ready_top(Queue& q) {
  while (!q.ready.empty()) {
    const ReadyHeap::Entry& top = q.ready.top();
    Envelope* e = find_mutable(top.id);
    if (e && e->state == EnvelopeState::kReady && e->queue == &q &&
        ReadyHeap::make_key(e->priority, e->available_at_ms) == top.key) {
      return e;
    }
    q.ready.pop();  // stale: the envelope left the ready set another way
  }
  return nullptr;
}

void Core::lease(Envelope& e, Consumer& c, TimeMs now) {
  Queue& q = *e.queue;
  q.ready.pop();  // `e` is the top of its queue's heap
  e.state = EnvelopeState::kLeased;
  ++e.attempts;
  e.lease_holder = c.id;
  e.lease_deadline_ms = now + c.lease_ms;
  c.leases.insert(e.id);
  ++q.in_flight;
  ++q.counters.delivered;
  timers_.push(e.lease_deadline_ms, e.id, TimerHeap::Kind::kLeaseDeadline);
  log_.append(wal::LeasedRecord{e.id, c.id, e.lease_deadline_ms, e.attempts});
  sink_.on_deliver(c.id, e);
}

void Core::fill_consumer(Consumer& c, TimeMs now) {
  // A consumer with credit takes the best head among its queues: highest priority, then oldest.
  while (c.credit() > 0) {
    Envelope* best = nullptr;
    for (Subscription& s : c.subscriptions) {
      Envelope* head = ready_top(*s.queue);
      if (head && (!best || ReadyHeap::before(s.queue->ready.top(), best->queue->ready.top()))) {
        best = head;
      }
    }
    if (!best) break;
    lease(*best, c, now);
  }
  if (c.credit() > 0) {
    for (Subscription& s : c.subscriptions) {
      if (!s.listed) {
        s.listed = true;
        s.queue->hungry.push_back(c.id);
      }
    }
  }
}

void Core::feed_queue(Queue& q, TimeMs now) {
  while (Envelope* e = ready_top(q)) {
    Consumer* c = nullptr;
    while (!q.hungry.empty()) {
      Consumer* candidate = find_consumer(q.hungry.front());
      Subscription* s = candidate ? candidate->subscription_for(&q) : nullptr;
      if (s && candidate->credit() > 0) {
        c = candidate;
        break;
      }
      q.hungry.pop_front();
      if (s) s->listed = false;
    }
    if (!c) return;
    lease(*e, *c, now);
    // round robin: a consumer that still has credit goes to the back of the line
    q.hungry.pop_front();
    if (c->credit() > 0) {
      q.hungry.push_back(c->id);
    } else {
      c->subscription_for(&q)->listed = false;
    }
  }
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

// ---- settling ----

void Core::end_lease(Envelope& e) {
  if (Consumer* c = find_consumer(e.lease_holder)) {
    c->leases.erase(e.id);
    mark_dirty(*c);
  }
  --e.queue->in_flight;
  e.lease_holder = 0;
  e.lease_deadline_ms = 0;
}

ErrorCode Core::ack(ConsumerId consumer, MessageId id, TimeMs now) {
  now = advance(now);
  Envelope* e = find_mutable(id);
  if (!e) return ErrorCode::kUnknownMessage;
  if (e->state != EnvelopeState::kLeased || e->lease_holder != consumer) {
    return ErrorCode::kNotLeaseHolder;
  }
  end_lease(*e);
  ++e->queue->counters.acked;
  log_.append(wal::AckedRecord{id, now});
  erase_envelope(id);
  return ErrorCode::kOk;
}

void Core::dead_letter(Envelope& e, std::string_view error, std::string_view error_class,
                       TimeMs now) {
  e.state = EnvelopeState::kDead;
  ++e.queue->dead;
  ++e.queue->counters.dead_lettered;
  log_.append(wal::DeadLetteredRecord{e.id, e.attempts, now, error, error_class});
}

protocol::NackResultItem Core::nack(ConsumerId consumer, const protocol::NackItem& item,
                                    TimeMs now) {
  now = advance(now);
  protocol::NackResultItem res;
  res.message_id = item.message_id;
  Envelope* e = find_mutable(item.message_id);
  if (!e) {
    res.code = ErrorCode::kUnknownMessage;
    return res;
  }
  if (e->state != EnvelopeState::kLeased || e->lease_holder != consumer) {
    res.code = ErrorCode::kNotLeaseHolder;
    return res;
  }
  end_lease(*e);
  if (item.mode == protocol::NackMode::kRelease) {
    --e->attempts;  // handed back unprocessed: this delivery does not count
    make_ready(*e);
    log_.append(wal::ReturnedRecord{e->id, e->attempts, wal::ReturnReason::kReleased, now});
    res.outcome = protocol::NackOutcome::kReleased;
    res.available_at_ms = e->available_at_ms;
    return res;
  }
  e->failures.push_back({e->attempts, now, std::string(item.error), std::string(item.error_class)});
  if (item.mode == protocol::NackMode::kFatal || e->attempts > e->max_retries) {
    dead_letter(*e, item.error, item.error_class, now);
    res.outcome = protocol::NackOutcome::kDeadLettered;
    return res;
  }
  const RetryPolicy& policy = policy_for(*e);
  const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  e->available_at_ms = now + policy.delay_for(e->attempts, unit);
  ++e->queue->counters.retried;
  schedule_available(*e, now);
  log_.append(wal::RetryScheduledRecord{e->id, e->attempts, now, e->available_at_ms, item.error,
                                        item.error_class});
  res.outcome = protocol::NackOutcome::kRetryScheduled;
  res.available_at_ms = e->available_at_ms;
  return res;
}

protocol::TouchResultItem Core::touch(ConsumerId consumer, MessageId id, uint32_t extend_ms,
                                      TimeMs now) {
  now = advance(now);
  protocol::TouchResultItem res;
  res.message_id = id;
  Envelope* e = find_mutable(id);
  if (!e) {
    res.code = ErrorCode::kUnknownMessage;
    return res;
  }
  if (e->state != EnvelopeState::kLeased || e->lease_holder != consumer) {
    res.code = ErrorCode::kNotLeaseHolder;
    return res;
  }
  const Consumer* c = find_consumer(consumer);
  const uint32_t ms = std::min(extend_ms ? extend_ms : c->lease_ms, options_.max_lease_ms);
  e->lease_deadline_ms = now + ms;
  timers_.push(e->lease_deadline_ms, id, TimerHeap::Kind::kLeaseDeadline);
  res.lease_deadline_ms = e->lease_deadline_ms;
  return res;
}

void Core::return_lease(Envelope& e, wal::ReturnReason reason, TimeMs now) {
  const bool expired = reason == wal::ReturnReason::kLeaseExpired;
  const std::string_view error = expired ? kLeaseExpiredError : kConsumerGoneError;
  const std::string_view error_class = expired ? kLeaseExpiredClass : kConsumerGoneClass;
  end_lease(e);
  if (expired) ++e.queue->counters.expired;
  e.failures.push_back({e.attempts, now, std::string(error), std::string(error_class)});
  if (e.attempts > e.max_retries) {
    // a message that keeps killing or stalling its consumers ends in the dead-letter set
    dead_letter(e, error, error_class, now);
    return;
  }
  make_ready(e);  // back to its original place: available_at is unchanged
  log_.append(wal::ReturnedRecord{e.id, e.attempts, reason, now});
}

void Core::disconnect(ConsumerId consumer, TimeMs now) {
  now = advance(now);
  Consumer* c = find_consumer(consumer);
  if (!c) return;
  std::vector<MessageId> held(c->leases.begin(), c->leases.end());
  std::sort(held.begin(), held.end());  // deterministic log order
  for (MessageId id : held) {
    if (Envelope* e = find_mutable(id)) return_lease(*e, wal::ReturnReason::kConsumerGone, now);
  }
  for (Subscription& s : c->subscriptions) {
    auto& subs = s.queue->subscribers;
    subs.erase(std::remove(subs.begin(), subs.end(), consumer), subs.end());
  }
  consumers_.erase(consumer);  // stale entries in hungry lists are dropped when met
}

void Core::tick(TimeMs now) {
  now = advance(now);
  while (!timers_.empty() && timers_.top().due <= now) {
    const TimerHeap::Entry t = timers_.top();
    timers_.pop();
    if (!timer_live(t)) continue;
    Envelope& e = *find_mutable(t.id);
    if (t.kind == TimerHeap::Kind::kAvailable) {
      --e.queue->delayed;
      make_ready(e);
    } else {
      return_lease(e, wal::ReturnReason::kLeaseExpired, now);
    }
  }
  idempotency_.expire(now);
}

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
    Envelope& e = envelopes_[id];
    e.id = id;
    e.queue = &q;
    e.created_at_ms = r.created_at_ms;
    e.available_at_ms = r.available_at_ms;
    e.attempts = r.attempts;  // a lease cut by the restart keeps its attempt
    e.max_retries = r.max_retries;
    e.priority = r.priority;
    e.body = std::move(r.body);
    e.idempotency_key = std::move(r.idempotency_key);
    e.failures.reserve(r.failures.size());
    for (auto& f : r.failures) {
      e.failures.push_back(
          {f.attempt, f.failed_at_ms, std::move(f.error), std::move(f.error_class)});
    }
    live_bytes_ += record_bytes(e);
    if (r.state == wal::RecoveredEnvelope::State::kDead) {
      e.state = EnvelopeState::kDead;
      ++q.dead;
    } else if (r.state == wal::RecoveredEnvelope::State::kLeased) {
      // held by a consumer of the previous run: returned below, like any disconnect
      e.state = EnvelopeState::kLeased;
      e.lease_holder = 0;
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
    return_lease(envelopes_.at(id), wal::ReturnReason::kConsumerGone, now);
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
  next_id_ = std::max(next_id_, state.next_id());
}

void Core::begin_log_rewrite() {
  if (rewrite_running_) return;
  rewrite_running_ = true;
  rewrite_ids_.clear();
  rewrite_ids_.reserve(envelopes_.size());
  for (const auto& [id, e] : envelopes_) rewrite_ids_.push_back(id);
  std::sort(rewrite_ids_.begin(), rewrite_ids_.end());
  rewrite_next_ = 0;
  rewrite_key_pos_ = idempotency_.first_position();
  rewrite_key_end_ = idempotency_.end_position();
}

bool Core::continue_log_rewrite(size_t max_items) {
  if (!rewrite_running_) return true;
  size_t budget = max_items;
  while (budget > 0 && rewrite_next_ < rewrite_ids_.size()) {
    // envelopes gone since the rewrite began need nothing; later ones are logged after it began
    if (const Envelope* e = find(rewrite_ids_[rewrite_next_])) log_envelope(*e, true);
    ++rewrite_next_;
    --budget;
  }
  if (budget > 0 && rewrite_key_pos_ < rewrite_key_end_) {
    const size_t n = std::min<uint64_t>(budget, rewrite_key_end_ - rewrite_key_pos_);
    idempotency_.visit(
        rewrite_key_pos_, n,
        [&](std::string_view queue, std::string_view key, MessageId id, TimeMs seen_at) {
          // a live envelope's snapshot carries its key already
          if (!find(id)) log_.append(wal::IdempotencyKeyRecord{id, queue, key, seen_at});
        });
    budget -= n;
  }
  if (rewrite_next_ < rewrite_ids_.size() || rewrite_key_pos_ < rewrite_key_end_) return false;
  rewrite_running_ = false;
  rewrite_ids_.clear();
  rewrite_ids_.shrink_to_fit();
  return true;
}

// ---- queries ----

bool Core::timer_live(const TimerHeap::Entry& t) const {
  const Envelope* e = find(t.id);
  if (!e) return false;
  if (t.kind == TimerHeap::Kind::kAvailable) {
    return e->state == EnvelopeState::kDelayed && e->available_at_ms == t.due;
  }
  return e->state == EnvelopeState::kLeased && e->lease_deadline_ms == t.due;
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
    s.dispatched_total = q.counters.dispatched;
    s.delivered_total = q.counters.delivered;
    s.acked_total = q.counters.acked;
    s.retried_total = q.counters.retried;
    s.dead_lettered_total = q.counters.dead_lettered;
    s.expired_total = q.counters.expired;
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

}  // namespace symphony::broker
