// Core: dispatch (validation, routing and fan-out, idempotency, enqueue).
#include "broker/core/core.h"

#include <fmt/format.h>

#include <algorithm>

#include "protocol/message_body.h"

namespace symphony::broker {

using protocol::ErrorCode;

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
  if (!m.queue.empty()) {
    enqueue_one(m, index, now, out, m.queue);
    return;
  }
  // fan-out: one envelope, and one result, per destination queue
  for (const std::string& q : routes_for(m.type)) enqueue_one(m, index, now, out, q);
}

std::span<const std::string> Core::routes_for(std::string_view type) const {
  auto it = options_.routing.find(type);
  if (it != options_.routing.end() && !it->second.empty()) return it->second;
  return {&options_.default_queue, 1};
}

void Core::enqueue_one(const protocol::DispatchMessage& m, uint32_t index, TimeMs now,
                       std::vector<protocol::DispatchResult>& out, std::string_view queue) {
  protocol::DispatchResult res;
  res.index = index;
  ErrorCode code;
  Queue* qp = queue_checked(queue, code);
  if (!qp) {
    res.code = code;
    res.error = fmt::format("queue '{}' is not declared (strict queues)", queue);
    out.push_back(std::move(res));
    return;
  }
  Queue& q = *qp;
  res.queue = q.name();

  if (!m.idempotency_key.empty()) {
    if (auto original = idempotency_.find(q.name(), m.idempotency_key, now)) {
      res.message_id = *original;
      res.duplicate = true;
      ++q.metrics.duplicates;
      // an original the broker no longer knows was, most likely, completed and forgotten
      const protocol::MessageStatusItem st = status(*original);
      res.status = st.code == ErrorCode::kOk ? st.status : protocol::EnvelopeStatus::kCompleted;
      out.push_back(std::move(res));
      return;
    }
  }
  if (memory_alarm_) {
    res.code = ErrorCode::kMemoryLimit;
    res.error = "the broker is over its memory limit; dispatch again once consumers have drained";
    out.push_back(std::move(res));
    return;
  }
  if (q.settings().max_length != 0 && q.depth() >= q.settings().max_length) {
    res.code = ErrorCode::kQueueFull;
    res.error = fmt::format("queue '{}' holds its maximum of {} messages", q.name(),
                            q.settings().max_length);
    out.push_back(std::move(res));
    return;
  }

  TimeMs available = now;
  if (m.when == protocol::When::kDelayMs) available = now + m.when_value;
  if (m.when == protocol::When::kAtUnixMs) available = std::max(now, m.when_value);

  const MessageId id = next_id_++;
  const protocol::MessageBodyView body{m.type, m.headers, m.metadata, m.payload};
  Envelope& e = envelopes_.create(id, protocol::message_body_size(body));
  protocol::write_message_body(e.body_data(), body);
  e.queue = q.index();
  e.created_at_ms = now;
  e.available_at_ms = available;
  e.priority = m.priority                      ? m.priority
               : q.settings().default_priority ? q.settings().default_priority
                                               : options_.default_priority;
  e.max_retries = options_.retry.for_type(m.type).max_retries;
  if (!m.idempotency_key.empty()) {
    extras_for(id).idempotency_key.assign(m.idempotency_key);
    idempotency_.insert(q.name(), m.idempotency_key, id, now);
  }
  ++q.metrics.dispatched;
  q.metrics.rates().add(now, RateWindow::Event::kDispatched);
  live_bytes_ += record_bytes(e);
  schedule_available(e, now);
  log_envelope(e);

  res.message_id = id;
  out.push_back(std::move(res));
}

void Core::schedule_available(Envelope& e, TimeMs now) {
  if (e.available_at_ms > now) {
    e.state = EnvelopeState::kDelayed;
    ++queue_of(e).delayed;
    timers_.push(e.available_at_ms, e.id, TimerHeap::Kind::kAvailable);
  } else {
    make_ready(e);
  }
}

void Core::make_ready(Envelope& e) {
  e.state = EnvelopeState::kReady;
  Queue& q = queue_of(e);
  q.ready.push(e.priority, e.available_at_ms, e.id);
  mark_dirty(q);
}

}  // namespace symphony::broker
