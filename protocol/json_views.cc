#include "protocol/json_views.h"

#include "protocol/message_body.h"
#include "protocol/time_text.h"

namespace symphony::protocol {

using nlohmann::json;

json payload_json(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(text) : j;
}

std::string iso_or_none(int64_t unix_ms) {
  return unix_ms ? format_iso8601_ms(unix_ms) : std::string("-");
}

json queue_stats_json(const QueueStats& s) {
  return {{"ready", s.ready},
          {"delayed", s.delayed},
          {"in_flight", s.in_flight},
          {"dead", s.dead},
          {"consumers", s.consumers},
          {"dispatched_total", s.dispatched_total},
          {"delivered_total", s.delivered_total},
          {"acked_total", s.acked_total},
          {"retried_total", s.retried_total},
          {"dead_lettered_total", s.dead_lettered_total},
          {"expired_total", s.expired_total}};
}

json message_status_json(const MessageStatusItem& s) {
  if (s.code != ErrorCode::kOk) return {{"id", s.id}, {"error", error_name(s.code)}};
  return {{"id", s.id},
          {"status", status_name(s.status)},
          {"queue", s.queue},
          {"attempts", s.attempts},
          {"at", iso_or_none(s.at_ms)}};
}

json dead_letter_summary_json(const DeadLetterSummary& s) {
  return {{"id", s.id},
          {"queue", s.queue},
          {"type", s.type},
          {"priority", s.priority},
          {"attempts", s.attempts},
          {"created_at", iso_or_none(s.created_at_ms)},
          {"failed_at", iso_or_none(s.failed_at_ms)},
          {"error", s.error},
          {"error_class", s.error_class}};
}

json dead_letter_detail_json(const DeadLetterDetail& d) {
  json failures = json::array();
  for (const auto& f : d.failures) {
    failures.push_back({{"attempt", f.attempt},
                        {"failed_at", iso_or_none(f.failed_at_ms)},
                        {"error", f.error},
                        {"error_class", f.error_class}});
  }
  // the headers a worker saw: the broker's own (derived, never stored) and the producer's
  json headers = {{kHeaderMessageType, d.summary.type},
                  {kHeaderMessageId, std::to_string(d.summary.id)},
                  {kHeaderDispatchedAt, format_iso8601_ms(d.summary.created_at_ms)}};
  for (const auto& [k, v] : d.headers) headers[k] = v;
  json j = dead_letter_summary_json(d.summary);
  j["failures"] = failures;
  j["headers"] = headers;
  j["payload"] = payload_json(d.payload);
  if (!d.metadata.empty()) j["metadata"] = payload_json(d.metadata);
  if (!d.idempotency_key.empty()) j["idempotency_key"] = d.idempotency_key;
  return j;
}

json schedule_json(const ScheduleInfo& s) {
  json headers = json::object();
  for (const auto& [k, v] : s.spec.headers) headers[k] = v;
  json j{{"id", s.id},
         {"name", s.spec.name},
         {"kind", schedule_kind_name(s.spec.kind)},
         {"timezone", s.spec.timezone},
         {"enabled", s.spec.enabled},
         {"max_runs", s.spec.max_runs},
         {"run_count", s.run_count},
         {"next_run_at", iso_or_none(s.next_run_at_ms)},
         {"last_run_at", iso_or_none(s.last_run_at_ms)},
         {"created_at", iso_or_none(s.created_at_ms)},
         {"message",
          {{"type", s.spec.type},
           {"payload", payload_json(s.spec.payload)},
           {"queue", s.spec.queue},
           {"priority", s.spec.priority},
           {"headers", headers}}}};
  switch (s.spec.kind) {
    case ScheduleKind::kOnce: j["at"] = iso_or_none(s.spec.at_ms); break;
    case ScheduleKind::kInterval:
      j["interval_ms"] = s.spec.interval_ms;
      j["start_at"] = iso_or_none(s.spec.start_at_ms);
      break;
    case ScheduleKind::kCron: j["cron"] = s.spec.cron; break;
  }
  if (!s.last_error.empty()) j["last_error"] = s.last_error;
  return j;
}

}  // namespace symphony::protocol
