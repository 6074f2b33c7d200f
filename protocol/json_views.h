#pragma once
// The JSON shape of each protocol result, shared by the admin HTTP API and `symphony --json`, so
// that a script sees the same fields whichever way it asks. Times are ISO 8601 UTC with
// milliseconds ("-" when unset); payloads and metadata are embedded as JSON when they are JSON.
#include <nlohmann/json.hpp>

#include <string>

#include "protocol/dead_letter.h"
#include "protocol/queue_admin.h"
#include "protocol/schedule.h"
#include "protocol/stats.h"

namespace symphony::protocol {

/// A JSON document as JSON, anything else as a string.
nlohmann::json payload_json(const std::string& text);
/// ISO 8601 UTC with milliseconds, or "-" for 0 (unset).
std::string iso_or_none(int64_t unix_ms);

nlohmann::json queue_stats_json(const QueueStats& s);
nlohmann::json message_status_json(const MessageStatusItem& s);
nlohmann::json dead_letter_summary_json(const DeadLetterSummary& s);
/// The summary plus every attempt's failure, headers, payload, metadata and idempotency key.
nlohmann::json dead_letter_detail_json(const DeadLetterDetail& d);
nlohmann::json schedule_json(const ScheduleInfo& s);

}  // namespace symphony::protocol
