// Core: schedules. A firing dispatches the schedule's message through dispatch() (routing,
// priority, idempotency), with the idempotency key "schedule:<id>:<slot>" so that no slot can
// ever enqueue twice.
#include <fmt/format.h>

#include "broker/core/core.h"

namespace symphony::broker {

using protocol::ErrorCode;

namespace {

constexpr size_t kMaxScheduleNameBytes = 255;

protocol::DispatchMessage message_of(const Schedule& s) {
  const protocol::ScheduleSpec& spec = s.info.spec;
  protocol::DispatchMessage m;
  m.type = spec.type;
  m.payload = spec.payload;
  m.metadata = spec.metadata;
  m.headers = {static_cast<uint16_t>(spec.headers.size()), s.header_bytes};
  m.queue = spec.queue;
  m.priority = spec.priority;
  return m;
}

}  // namespace

void Core::log_schedule(const Schedule& s) {
  log_.append(wal::ScheduleSetRecord{s.info});
}

ErrorCode Core::create_schedule(const protocol::ScheduleSpec& spec, TimeMs now,
                                protocol::ScheduleInfo& out, std::string& detail) {
  now = advance(now);
  if (spec.name.size() > kMaxScheduleNameBytes) {
    detail = "name: longer than 255 bytes";
    return ErrorCode::kInvalidArgument;
  }
  Schedule s;
  s.info.spec = spec;
  if (s.info.spec.timezone.empty()) s.info.spec.timezone = "UTC";
  detail = prepare_schedule(s);
  if (!detail.empty()) return ErrorCode::kInvalidSchedule;
  // the message must be one dispatch would accept, now rather than at its first firing
  ValidationError v = validator_.validate(message_of(s));
  if (!v.ok()) {
    detail = "message: " + v.detail;
    return v.code;
  }
  if (options_.strict_queues) {
    const std::span<const std::string> routed = routes_for(spec.type);
    std::vector<std::string> destinations(routed.begin(), routed.end());
    if (!spec.queue.empty()) destinations = {spec.queue};
    for (const std::string& q : destinations) {
      if (!options_.queues.count(q) && q != options_.default_queue) {
        detail = fmt::format("message: queue '{}' is not declared (strict queues)", q);
        return ErrorCode::kQueueNotFound;
      }
    }
  }
  s.info.id = next_id_++;  // schedules share the id counter: an id is never reused
  s.info.created_at_ms = now;
  s.info.updated_at_ms = now;
  if (s.info.spec.kind == protocol::ScheduleKind::kInterval && s.info.spec.start_at_ms == 0) {
    s.info.spec.start_at_ms = now + s.info.spec.interval_ms;
  }
  s.info.next_run_at_ms = s.info.spec.enabled ? first_run(s, now) : 0;
  if (s.info.next_run_at_ms) {
    timers_.push(s.info.next_run_at_ms, s.info.id, TimerHeap::Kind::kSchedule);
  }
  log_schedule(s);
  out = s.info;
  schedules_.emplace(s.info.id, std::move(s));
  return ErrorCode::kOk;
}

std::vector<protocol::ScheduleInfo> Core::list_schedules() const {
  std::vector<protocol::ScheduleInfo> out;
  out.reserve(schedules_.size());
  for (const auto& [id, s] : schedules_) out.push_back(s.info);
  return out;
}

const protocol::ScheduleInfo* Core::find_schedule(uint64_t id) const {
  auto it = schedules_.find(id);
  return it == schedules_.end() ? nullptr : &it->second.info;
}

ErrorCode Core::update_schedule(uint64_t id, protocol::ScheduleOp op, TimeMs now,
                                std::optional<protocol::ScheduleInfo>& out) {
  now = advance(now);
  out.reset();
  auto it = schedules_.find(id);
  if (it == schedules_.end()) return ErrorCode::kUnknownSchedule;
  Schedule& s = it->second;
  switch (op) {
    case protocol::ScheduleOp::kDelete:
      log_.append(wal::ScheduleDeletedRecord{id, now});
      schedules_.erase(it);  // its timer, if any, is dropped when met
      return ErrorCode::kOk;
    case protocol::ScheduleOp::kEnable:
      if (!s.info.spec.enabled) {
        s.info.spec.enabled = true;
        s.info.next_run_at_ms = first_run(s, now);
        if (s.info.next_run_at_ms) {
          timers_.push(s.info.next_run_at_ms, id, TimerHeap::Kind::kSchedule);
        }
      }
      break;
    case protocol::ScheduleOp::kDisable:
      s.info.spec.enabled = false;
      s.info.next_run_at_ms = 0;
      break;
  }
  s.info.updated_at_ms = now;
  log_schedule(s);
  out = s.info;
  return ErrorCode::kOk;
}

void Core::fire_schedule(Schedule& s, TimeMs now) {
  const TimeMs slot = s.info.next_run_at_ms;
  std::vector<protocol::DispatchResult> results;
  protocol::DispatchMessage m = message_of(s);
  const std::string key = fmt::format("schedule:{}:{}", s.info.id, slot);
  m.idempotency_key = key;
  dispatch(m, 0, now, results);
  s.info.last_error.clear();
  for (const auto& r : results) {
    if (r.code != ErrorCode::kOk) {
      s.info.last_error = fmt::format("{}: {}", protocol::error_name(r.code), r.error);
      break;
    }
  }
  ++s.info.run_count;
  s.info.last_run_at_ms = now;
  s.info.updated_at_ms = now;
  // slots missed while the broker was down (or busy) are not repeated: the next run comes after
  // now, not after the slot that just fired
  s.info.next_run_at_ms = next_run_after(s, std::max(now, slot));
  if (s.info.next_run_at_ms) {
    timers_.push(s.info.next_run_at_ms, s.info.id, TimerHeap::Kind::kSchedule);
  }
  log_schedule(s);
}

}  // namespace symphony::broker
