// Core: subscriptions, credit, leases and their settlement (ack, nack, touch, disconnect).
#include "broker/core/core.h"

#include <fmt/format.h>

#include <algorithm>

#include "protocol/message_body.h"

namespace symphony::broker {

using protocol::ErrorCode;

// ---- consuming ----

ErrorCode Core::subscribe(ConsumerId consumer, std::span<const std::string_view> queues,
                          uint32_t prefetch, uint32_t lease_ms, protocol::Subscribed& effective,
                          std::string& detail) {
  if (queues.empty()) {
    detail = "SUBSCRIBE names no queue";
    return ErrorCode::kInvalidArgument;
  }
  std::vector<Queue*> resolved;
  for (std::string_view name : queues) {
    if (!is_valid_queue_name(name, options_.limits.max_type_bytes)) {
      detail = fmt::format("invalid queue name '{}'", name.substr(0, 64));
      return ErrorCode::kInvalidQueueName;
    }
    ErrorCode code;
    Queue* q = queue_checked(name, code);
    if (!q) {
      detail = fmt::format("queue '{}' is not declared (strict queues)", name);
      return code;
    }
    resolved.push_back(q);
  }
  Consumer& c = consumers_[consumer];
  c.id = consumer;
  c.prefetch = std::min(prefetch ? prefetch : options_.default_prefetch, options_.max_prefetch);
  // 0: each queue's own lease (its settings, else the broker default)
  c.lease_ms = std::min(lease_ms, options_.max_lease_ms);
  for (Queue* q : resolved) {
    if (c.subscription_for(q)) continue;
    c.subscriptions.push_back({q, false});
    q->subscribers.push_back(consumer);
  }
  mark_dirty(c);
  effective = {c.prefetch, lease_ms_for(c, *resolved.front())};
  return ErrorCode::kOk;
}

uint32_t Core::lease_ms_for(const Consumer& c, const Queue& q) const {
  if (c.lease_ms) return c.lease_ms;
  return q.settings().lease_ms ? q.settings().lease_ms : options_.default_lease_ms;
}

ErrorCode Core::set_prefetch(ConsumerId consumer, uint32_t prefetch, protocol::CreditOk& out) {
  Consumer* c = find_consumer(consumer);
  if (!c) return ErrorCode::kNotSubscribed;
  c->prefetch = std::min(prefetch, options_.max_prefetch);
  mark_dirty(*c);
  out = {c->prefetch, c->leased};
  return ErrorCode::kOk;
}

void Core::resume_delivery(ConsumerId consumer) {
  Consumer* c = find_consumer(consumer);
  if (!c || !c->blocked) return;
  c->blocked = false;
  mark_dirty(*c);  // the next deliver() fills it and lists it as hungry again
}

bool Core::delivery_blocked(ConsumerId consumer) const {
  auto it = consumers_.find(consumer);
  return it != consumers_.end() && it->second.blocked;
}

Envelope* Core::ready_top(Queue& q) {
  while (!q.ready.empty()) {
    const ReadyHeap::Entry& top = q.ready.top();
    Envelope* e = find_mutable(top.id);
    if (e && e->state == EnvelopeState::kReady && e->queue == q.index() &&
        ReadyHeap::make_key(e->priority, e->available_at_ms) == top.key) {
      return e;
    }
    q.ready.pop();  // stale: the envelope left the ready set another way
  }
  return nullptr;
}

void Core::lease(Envelope& e, Consumer& c, TimeMs now) {
  Queue& q = queue_of(e);
  q.ready.pop();  // `e` is the top of its queue's heap
  e.state = EnvelopeState::kLeased;
  ++e.attempts;
  const TimeMs deadline = now + lease_ms_for(c, q);
  leases_.insert_or_assign(e.id, Lease{c.id, deadline, now});
  ++c.leased;
  ++q.in_flight;
  ++q.metrics.delivered;
  if (e.attempts == 1) {
    q.metrics.end_to_end.observe(static_cast<double>(now - e.created_at_ms) / 1000.0);
  }
  timers_.push(deadline, e.id, TimerHeap::Kind::kLeaseDeadline);
  log_.append(wal::LeasedRecord{e.id, c.id, deadline, e.attempts});
  // a consumer whose output backs up gets nothing more (its credit reads 0) until it drains
  if (!sink_.on_deliver(c.id, Delivery{e, q.name(), deadline})) c.blocked = true;
}

void Core::fill_consumer(Consumer& c, TimeMs now) {
  // A consumer with credit takes the best head among its queues: highest priority, then oldest.
  while (c.credit() > 0) {
    Envelope* best = nullptr;
    for (Subscription& s : c.subscriptions) {
      Envelope* head = ready_top(*s.queue);
      if (head && (!best || ReadyHeap::before(s.queue->ready.top(), queue_of(*best).ready.top()))) {
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

// ---- settling ----

Lease* Core::held_lease(const Envelope& e, ConsumerId consumer) {
  if (e.state != EnvelopeState::kLeased) return nullptr;
  auto it = leases_.find(e.id);
  return it != leases_.end() && it->second.holder == consumer ? &it->second : nullptr;
}

void Core::end_lease(Envelope& e) {
  auto it = leases_.find(e.id);
  if (it != leases_.end()) {
    if (Consumer* c = find_consumer(it->second.holder)) {
      --c->leased;
      mark_dirty(*c);
    }
    leases_.erase(it);
  }
  --queue_of(e).in_flight;
}

void Core::observe_processing(const Envelope& e, const Lease& lease, TimeMs now) {
  const TimeMs ms = now - lease.leased_at_ms;
  Queue& q = queue_of(e);
  q.metrics.processing.observe(static_cast<double>(ms) / 1000.0);
  q.metrics.rates().add_processing(now, ms);
}

ErrorCode Core::ack(ConsumerId consumer, MessageId id, TimeMs now) {
  now = advance(now);
  Envelope* e = find_mutable(id);
  if (!e) return ErrorCode::kUnknownMessage;
  const Lease* l = held_lease(*e, consumer);
  if (!l) return ErrorCode::kNotLeaseHolder;
  observe_processing(*e, *l, now);
  end_lease(*e);
  Queue& q = queue_of(*e);
  ++q.metrics.acked;
  q.metrics.rates().add(now, RateWindow::Event::kAcked);
  log_.append(wal::AckedRecord{id, now});
  remember_completed(id, q, now);
  erase_envelope(id);
  return ErrorCode::kOk;
}

void Core::dead_letter(Envelope& e, std::string_view error, std::string_view error_class,
                       TimeMs now) {
  e.state = EnvelopeState::kDead;
  Queue& q = queue_of(e);
  ++q.dead;
  dead_index_.emplace(now, e.id);
  ++q.metrics.dead_lettered;
  q.metrics.rates().add(now, RateWindow::Event::kFailed);
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
  const Lease* l = held_lease(*e, consumer);
  if (!l) {
    res.code = ErrorCode::kNotLeaseHolder;
    return res;
  }
  if (item.mode != protocol::NackMode::kRelease) observe_processing(*e, *l, now);
  end_lease(*e);
  Queue& q = queue_of(*e);
  if (item.mode == protocol::NackMode::kRelease) {
    ++q.metrics.released;
    --e->attempts;  // handed back unprocessed: this delivery does not count
    make_ready(*e);
    log_.append(wal::ReturnedRecord{e->id, e->attempts, wal::ReturnReason::kReleased, now});
    res.outcome = protocol::NackOutcome::kReleased;
    res.available_at_ms = e->available_at_ms;
    return res;
  }
  extras_for(e->id).failures.push_back(
      {e->attempts, now, std::string(item.error), std::string(item.error_class)});
  ++(item.mode == protocol::NackMode::kFatal ? q.metrics.nacked_fatal : q.metrics.nacked_retryable);
  if (item.mode == protocol::NackMode::kFatal || e->attempts > e->max_retries) {
    dead_letter(*e, item.error, item.error_class, now);
    res.outcome = protocol::NackOutcome::kDeadLettered;
    return res;
  }
  const RetryPolicy& policy = policy_for(*e);
  const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  e->available_at_ms = now + policy.delay_for(e->attempts, unit);
  ++q.metrics.retried;
  q.metrics.rates().add(now, RateWindow::Event::kRetried);
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
  Lease* l = held_lease(*e, consumer);
  if (!l) {
    res.code = ErrorCode::kNotLeaseHolder;
    return res;
  }
  const Consumer* c = find_consumer(consumer);
  const uint32_t ms =
      std::min(extend_ms ? extend_ms : lease_ms_for(*c, queue_of(*e)), options_.max_lease_ms);
  l->deadline_ms = now + ms;
  timers_.push(l->deadline_ms, id, TimerHeap::Kind::kLeaseDeadline);
  res.lease_deadline_ms = l->deadline_ms;
  return res;
}

void Core::return_lease(Envelope& e, wal::ReturnReason reason, TimeMs now) {
  const bool expired = reason == wal::ReturnReason::kLeaseExpired;
  const std::string_view error = expired ? wal::kLeaseExpiredError : wal::kConsumerGoneError;
  const std::string_view error_class = expired ? wal::kLeaseExpiredClass : wal::kConsumerGoneClass;
  end_lease(e);
  if (expired) {
    Queue& q = queue_of(e);
    ++q.metrics.expired;
    q.metrics.rates().add(now, RateWindow::Event::kExpired);
  }
  extras_for(e.id).failures.push_back(
      {e.attempts, now, std::string(error), std::string(error_class)});
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
  // Leases are kept by envelope, so this walks all of them: a disconnect is rare next to the
  // acks that find a lease by id.
  std::vector<MessageId> held;
  held.reserve(c->leased);
  for (const auto& [id, l] : leases_) {
    if (l.holder == consumer) held.push_back(id);
  }
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

}  // namespace symphony::broker
