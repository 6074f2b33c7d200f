#pragma once
// Reading route arguments (path ids, filters, JSON bodies) with 400s that name the field.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "broker/server/admin/admin_call.h"
#include "protocol/dead_letter.h"
#include "protocol/error_code.h"
#include "protocol/schedule.h"

namespace symphony::server::admin {

/// segments[index] as a message or schedule id (decimal, > 0); else 400 naming "id".
std::optional<uint64_t> id_segment(AdminCall& c, size_t index);
/// "true"/"1" or "false"/"0"/absent; else 400 naming `name`.
std::optional<bool> flag_param(AdminCall& c, const std::string& name);
/// Unix ms or ISO 8601; else 400 naming `field`.
std::optional<int64_t> time_value(AdminCall& c, const std::string& field, const std::string& text);
/// queue, type, error_class, since, until from the query string.
std::optional<protocol::DeadLetterFilter> filter_from_query(AdminCall& c);
/// The same keys from a JSON body (strings; since/until also as numbers).
std::optional<protocol::DeadLetterFilter> filter_from_json(AdminCall& c, const nlohmann::json& j);
bool filter_is_empty(const protocol::DeadLetterFilter& f);
/// The body of POST /failed/retry: "ids" (1..100000 positive ids), or a filter (or "all": true),
/// and "dry_run"; false after answering 400.
bool retry_request_from_json(AdminCall& c, const nlohmann::json& j,
                             protocol::DeadLetterTarget& target, bool& dry_run);
/// The body of POST /schedules as a spec (the core validates it further); false after answering
/// 400.
bool schedule_spec_from_json(AdminCall& c, const nlohmann::json& j, protocol::ScheduleSpec& spec);
/// A core error as an HTTP answer: 404 for unknown ids, 400 for validation, 409 for state.
void answer_error(AdminCall& c, protocol::ErrorCode code, const std::string& detail);

}  // namespace symphony::server::admin
