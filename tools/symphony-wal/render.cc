#include <fmt/format.h>

#include <cstdio>
#include <type_traits>

#include "protocol/message_body.h"
#include "protocol/schedule.h"
#include "tools/symphony-wal/wal_tool.h"

namespace symphony::wal_tool {

using nlohmann::json;

namespace {

template <typename T, typename... Ts>
constexpr bool is_one_of = (std::is_same_v<T, Ts> || ...);

/// Payload or metadata: embedded as JSON when it parses, else kept as a string.
json embedded(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(std::string(text)) : j;
}

std::string_view persisted_state_name(wal::PersistedState s) {
  switch (s) {
    case wal::PersistedState::kPending: return "pending";
    case wal::PersistedState::kDead: return "dead";
    case wal::PersistedState::kLeased: return "leased";
  }
  return "unknown";
}

std::string_view reason_name(wal::ReturnReason r) {
  switch (r) {
    case wal::ReturnReason::kLeaseExpired: return "lease_expired";
    case wal::ReturnReason::kConsumerGone: return "consumer_gone";
    case wal::ReturnReason::kReleased: return "released";
  }
  return "unknown";
}

std::string quote_text(std::string_view s) {
  std::string out = "\"";
  for (char c : one_line(s)) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

/// "TimeoutError: smtp timeout", or whichever of the two is set.
std::string failure_text(std::string_view error, std::string_view error_class) {
  if (error_class.empty()) return one_line(error);
  if (error.empty()) return one_line(error_class);
  return one_line(error_class) + ": " + one_line(error);
}

void envelope_json(json& j, const wal::EnvelopeRecord& r) {
  j["queue"] = r.queue;
  j["priority"] = r.priority;
  j["state"] = persisted_state_name(r.state);
  j["created_at_ms"] = r.created_at_ms;
  j["available_at_ms"] = r.available_at_ms;
  j["attempts"] = r.attempts;
  j["max_retries"] = r.max_retries;
  j["idempotency_key"] = r.idempotency_key;
  json failures = json::array();
  for (const wal::FailureView& f : r.failures) {
    failures.push_back({{"attempt", f.attempt},
                        {"failed_at_ms", f.failed_at_ms},
                        {"error", f.error},
                        {"error_class", f.error_class}});
  }
  j["failures"] = std::move(failures);
  protocol::MessageBodyView body;
  if (!protocol::parse_message_body(r.body, body)) {
    j["body_error"] = "malformed message body";
    j["body"] = std::string(r.body);
    return;
  }
  json headers = json::object();
  body.headers.for_each(
      [&](std::string_view k, std::string_view v) { headers[std::string(k)] = std::string(v); });
  j["message_type"] = body.type;
  j["headers"] = std::move(headers);
  j["metadata"] = body.metadata.empty() ? json(nullptr) : embedded(body.metadata);
  j["payload"] = embedded(body.payload);
}

std::string envelope_text(const wal::EnvelopeRecord& r, bool snapshot) {
  std::string out = fmt::format("queue={} priority={}", one_line(r.queue), r.priority);
  if (snapshot) out += fmt::format(" state={}", persisted_state_name(r.state));
  out += fmt::format(" attempts={} max_retries={} created_at={} available_at={}", r.attempts,
                     r.max_retries, iso(r.created_at_ms), iso(r.available_at_ms));
  if (!r.idempotency_key.empty()) out += " key=" + quote_text(r.idempotency_key);
  if (!r.failures.empty()) {
    const wal::FailureView& f = r.failures.back();
    out += fmt::format(" failures={} last_failure={}", r.failures.size(),
                       quote_text(failure_text(f.error, f.error_class)));
  }
  protocol::MessageBodyView body;
  if (!protocol::parse_message_body(r.body, body)) {
    return out + fmt::format(" body=<malformed, {} bytes>", r.body.size());
  }
  out += fmt::format(" type={}", one_line(body.type));
  if (body.headers.count > 0) out += fmt::format(" headers={}", body.headers.count);
  if (!body.metadata.empty()) out += " metadata=" + one_line(body.metadata, 200);
  return out + " payload=" + one_line(body.payload, 200);
}

}  // namespace

std::string_view state_name(wal::RecoveredEnvelope::State s) {
  switch (s) {
    case wal::RecoveredEnvelope::State::kPending: return "pending";
    case wal::RecoveredEnvelope::State::kLeased: return "leased";
    case wal::RecoveredEnvelope::State::kDead: return "dead";
  }
  return "unknown";
}

std::string one_line(std::string_view text, size_t max) {
  bool cut = false;
  if (max > 0 && text.size() > max) {
    // do not split a UTF-8 sequence
    size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    text = text.substr(0, n);
    cut = true;
  }
  std::string out;
  out.reserve(text.size() + 3);
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7F) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out.push_back(c);
    }
  }
  if (cut) out += "...";
  return out;
}

void print_json(const json& j) {
  // payloads may hold any bytes: never throw on invalid UTF-8
  const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

json record_json(const RecordView& r) {
  json j{{"seq", r.group.seq},
         {"written_at", iso(r.group.header.written_at_ms)},
         {"written_at_ms", r.group.header.written_at_ms},
         {"index", r.index},
         {"type", record_type_name(type_of(r.record))}};
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (requires { x.id; }) j["id"] = x.id;
        if constexpr (is_one_of<T, wal::EnvelopeRecord, wal::SnapshotRecord>) {
          envelope_json(j, x);
        } else if constexpr (std::is_same_v<T, wal::LeasedRecord>) {
          j["consumer"] = x.consumer;
          j["deadline_ms"] = x.deadline_ms;
          j["attempt"] = x.attempt;
        } else if constexpr (is_one_of<T, wal::AckedRecord, wal::DeletedRecord>) {
          j["at_ms"] = x.at_ms;
        } else if constexpr (std::is_same_v<T, wal::RetryScheduledRecord>) {
          j["attempt"] = x.attempt;
          j["failed_at_ms"] = x.failed_at_ms;
          j["available_at_ms"] = x.available_at_ms;
          j["error"] = x.error;
          j["error_class"] = x.error_class;
        } else if constexpr (std::is_same_v<T, wal::ReturnedRecord>) {
          j["attempts"] = x.attempts;
          j["reason"] = reason_name(x.reason);
          j["at_ms"] = x.at_ms;
        } else if constexpr (std::is_same_v<T, wal::DeadLetteredRecord>) {
          j["attempt"] = x.attempt;
          j["failed_at_ms"] = x.failed_at_ms;
          j["error"] = x.error;
          j["error_class"] = x.error_class;
        } else if constexpr (std::is_same_v<T, wal::DeadRetriedRecord>) {
          j["available_at_ms"] = x.available_at_ms;
        } else if constexpr (std::is_same_v<T, wal::QueuePurgedRecord>) {
          j["queue"] = x.queue;
          j["at_ms"] = x.at_ms;
        } else if constexpr (std::is_same_v<T, wal::IdempotencyKeyRecord>) {
          j["queue"] = x.queue;
          j["key"] = x.key;
          j["seen_at_ms"] = x.seen_at_ms;
        } else if constexpr (std::is_same_v<T, wal::CompletedRecord>) {
          j["queue"] = x.queue;
          j["completed_at_ms"] = x.completed_at_ms;
        } else if constexpr (std::is_same_v<T, wal::ScheduleSetRecord>) {
          j["schedule_id"] = x.info.id;
          j["name"] = x.info.spec.name;
          j["kind"] = protocol::schedule_kind_name(x.info.spec.kind);
          j["enabled"] = x.info.spec.enabled;
          j["next_run_at_ms"] = x.info.next_run_at_ms;
          j["run_count"] = x.info.run_count;
        } else if constexpr (std::is_same_v<T, wal::ScheduleDeletedRecord>) {
          j["schedule_id"] = x.schedule_id;
          j["at_ms"] = x.at_ms;
        }
      },
      r.record);
  return j;
}

std::string record_text(const RecordView& r) {
  std::string line = fmt::format("g{} {} #{} {}", r.group.seq, iso(r.group.header.written_at_ms),
                                 r.index, record_type_name(type_of(r.record)));
  const std::string fields = std::visit(
      [&](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, wal::EnvelopeRecord>) {
          return envelope_text(x, false);
        } else if constexpr (std::is_same_v<T, wal::SnapshotRecord>) {
          return envelope_text(x, true);
        } else if constexpr (std::is_same_v<T, wal::LeasedRecord>) {
          return fmt::format("consumer={} deadline={} attempt={}", x.consumer, iso(x.deadline_ms),
                             x.attempt);
        } else if constexpr (is_one_of<T, wal::AckedRecord, wal::DeletedRecord>) {
          return "at=" + iso(x.at_ms);
        } else if constexpr (std::is_same_v<T, wal::RetryScheduledRecord>) {
          return fmt::format("attempt={} failed_at={} available_at={} error={} class={}", x.attempt,
                             iso(x.failed_at_ms), iso(x.available_at_ms), quote_text(x.error),
                             quote_text(x.error_class));
        } else if constexpr (std::is_same_v<T, wal::ReturnedRecord>) {
          return fmt::format("reason={} attempts={} at={}", reason_name(x.reason), x.attempts,
                             iso(x.at_ms));
        } else if constexpr (std::is_same_v<T, wal::DeadLetteredRecord>) {
          return fmt::format("attempt={} failed_at={} error={} class={}", x.attempt,
                             iso(x.failed_at_ms), quote_text(x.error), quote_text(x.error_class));
        } else if constexpr (std::is_same_v<T, wal::DeadRetriedRecord>) {
          return "available_at=" + iso(x.available_at_ms);
        } else if constexpr (std::is_same_v<T, wal::QueuePurgedRecord>) {
          return fmt::format("queue={} at={}", one_line(x.queue), iso(x.at_ms));
        } else if constexpr (std::is_same_v<T, wal::CompletedRecord>) {
          return fmt::format("queue={} completed_at={}", one_line(x.queue), iso(x.completed_at_ms));
        } else if constexpr (std::is_same_v<T, wal::ScheduleSetRecord>) {
          return fmt::format("schedule={} name={} kind={} enabled={} runs={} next_run={}",
                             x.info.id, quote_text(x.info.spec.name),
                             protocol::schedule_kind_name(x.info.spec.kind), x.info.spec.enabled,
                             x.info.run_count,
                             x.info.next_run_at_ms ? iso(x.info.next_run_at_ms) : "none");
        } else if constexpr (std::is_same_v<T, wal::ScheduleDeletedRecord>) {
          return fmt::format("schedule={} at={}", x.schedule_id, iso(x.at_ms));
        } else {
          static_assert(std::is_same_v<T, wal::IdempotencyKeyRecord>);
          return fmt::format("queue={} key={} seen_at={}", one_line(x.queue), quote_text(x.key),
                             iso(x.seen_at_ms));
        }
      },
      r.record);
  if (wal::message_id_of(r.record) != 0) {
    line += fmt::format(" id={}", wal::message_id_of(r.record));
  }
  return line + " " + fields;
}

bool concerns(const wal::Record& record, uint64_t id, const wal::LogState& before) {
  if (const auto* purge = std::get_if<wal::QueuePurgedRecord>(&record)) {
    // a purge names no id: it removes the pending envelopes of its queue
    const auto it = before.envelopes().find(id);
    return it != before.envelopes().end() && it->second.queue == purge->queue &&
           it->second.state == wal::RecoveredEnvelope::State::kPending;
  }
  return wal::message_id_of(record) == id;
}

std::string describe(const wal::Record& record) {
  return std::visit(
      [&](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, wal::EnvelopeRecord>) {
          std::string out =
              fmt::format("enqueued to queue {}, priority {}", one_line(x.queue), x.priority);
          protocol::MessageBodyView body;
          if (protocol::parse_message_body(x.body, body)) {
            out += fmt::format(", type {}", one_line(body.type));
          }
          out += fmt::format(", max retries {}", x.max_retries);
          if (x.available_at_ms > x.created_at_ms) {
            out += ", delayed until " + iso(x.available_at_ms);
          }
          if (!x.idempotency_key.empty())
            out += ", idempotency key " + quote_text(x.idempotency_key);
          return out;
        } else if constexpr (std::is_same_v<T, wal::SnapshotRecord>) {
          return fmt::format(
              "snapshot (log compaction): {} in queue {}, priority {}, {} attempts, {} failures, "
              "available at {}",
              persisted_state_name(x.state), one_line(x.queue), x.priority, x.attempts,
              x.failures.size(), iso(x.available_at_ms));
        } else if constexpr (std::is_same_v<T, wal::LeasedRecord>) {
          return fmt::format("leased to consumer {} until {} (attempt {})", x.consumer,
                             iso(x.deadline_ms), x.attempt);
        } else if constexpr (std::is_same_v<T, wal::AckedRecord>) {
          return "acked";
        } else if constexpr (std::is_same_v<T, wal::RetryScheduledRecord>) {
          return fmt::format("retry scheduled: attempt {} failed ({}), available at {}", x.attempt,
                             failure_text(x.error, x.error_class), iso(x.available_at_ms));
        } else if constexpr (std::is_same_v<T, wal::ReturnedRecord>) {
          switch (x.reason) {
            case wal::ReturnReason::kLeaseExpired:
              return fmt::format("lease expired (attempt {} counted as failed): ready again",
                                 x.attempts);
            case wal::ReturnReason::kConsumerGone:
              return fmt::format(
                  "consumer disconnected holding the lease (attempt {} counted as failed): "
                  "ready again",
                  x.attempts);
            case wal::ReturnReason::kReleased:
              return fmt::format(
                  "released unprocessed, attempt given back ({} attempts): ready "
                  "again",
                  x.attempts);
          }
          return "returned";
        } else if constexpr (std::is_same_v<T, wal::DeadLetteredRecord>) {
          return fmt::format("dead-lettered after attempt {} ({})", x.attempt,
                             failure_text(x.error, x.error_class));
        } else if constexpr (std::is_same_v<T, wal::DeadRetriedRecord>) {
          return "dead letter retried: back to its queue with attempts reset, available at " +
                 iso(x.available_at_ms);
        } else if constexpr (std::is_same_v<T, wal::DeletedRecord>) {
          return "dead letter deleted";
        } else if constexpr (std::is_same_v<T, wal::QueuePurgedRecord>) {
          return "removed by a purge of queue " + one_line(x.queue);
        } else if constexpr (std::is_same_v<T, wal::CompletedRecord>) {
          return "completed at " + iso(x.completed_at_ms) + " (kept for status queries)";
        } else if constexpr (std::is_same_v<T, wal::ScheduleSetRecord>) {
          return fmt::format("schedule {} set (run {})", x.info.id, x.info.run_count);
        } else if constexpr (std::is_same_v<T, wal::ScheduleDeletedRecord>) {
          return fmt::format("schedule {} deleted", x.schedule_id);
        } else {
          static_assert(std::is_same_v<T, wal::IdempotencyKeyRecord>);
          return fmt::format("idempotency key {} of queue {} kept past its envelope (seen at {})",
                             quote_text(x.key), one_line(x.queue), iso(x.seen_at_ms));
        }
      },
      record);
}

}  // namespace symphony::wal_tool
