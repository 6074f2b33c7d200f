#include "broker/server/admin/route_args.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <iterator>

#include "protocol/time_text.h"

namespace symphony::server::admin {

using nlohmann::json;

std::optional<uint64_t> id_segment(AdminCall& c, size_t index) {
  const std::string& s = c.segments.at(index);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v == 0) {
    c.bad_request("id", fmt::format("'{}' is not a message or schedule id", s));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> flag_param(AdminCall& c, const std::string& name) {
  auto it = c.query.find(name);
  if (it == c.query.end()) return false;
  if (it->second == "true" || it->second == "1" || it->second.empty()) return true;
  if (it->second == "false" || it->second == "0") return false;
  c.bad_request(name, fmt::format("{} must be true or false", name));
  return std::nullopt;
}

std::optional<int64_t> time_value(AdminCall& c, const std::string& field, const std::string& text) {
  int64_t ms = 0;
  if (!protocol::parse_time_ms(text, ms)) {
    c.bad_request(field,
                  fmt::format("{}: expected Unix milliseconds or ISO 8601, got '{}'", field, text));
    return std::nullopt;
  }
  return ms;
}

std::optional<protocol::DeadLetterFilter> filter_from_query(AdminCall& c) {
  protocol::DeadLetterFilter f;
  if (auto it = c.query.find("queue"); it != c.query.end()) f.queue = it->second;
  if (auto it = c.query.find("type"); it != c.query.end()) f.type = it->second;
  if (auto it = c.query.find("error_class"); it != c.query.end()) f.error_class = it->second;
  if (auto it = c.query.find("since"); it != c.query.end()) {
    auto t = time_value(c, "since", it->second);
    if (!t) return std::nullopt;
    f.failed_from_ms = *t;
  }
  if (auto it = c.query.find("until"); it != c.query.end()) {
    auto t = time_value(c, "until", it->second);
    if (!t) return std::nullopt;
    f.failed_to_ms = *t;
  }
  return f;
}

std::optional<protocol::DeadLetterFilter> filter_from_json(AdminCall& c, const json& j) {
  protocol::DeadLetterFilter f;
  for (const char* key : {"queue", "type", "error_class"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_string()) {
      c.bad_request(key, fmt::format("{} must be a string", key));
      return std::nullopt;
    }
  }
  if (j.contains("queue")) f.queue = j["queue"].get<std::string>();
  if (j.contains("type")) f.type = j["type"].get<std::string>();
  if (j.contains("error_class")) f.error_class = j["error_class"].get<std::string>();
  for (const char* key : {"since", "until"}) {
    if (!j.contains(key)) continue;
    int64_t ms = 0;
    if (j[key].is_number_integer()) {
      ms = j[key].get<int64_t>();
    } else if (j[key].is_string()) {
      auto t = time_value(c, key, j[key].get<std::string>());
      if (!t) return std::nullopt;
      ms = *t;
    } else {
      c.bad_request(key, fmt::format("{} must be Unix milliseconds or an ISO 8601 string", key));
      return std::nullopt;
    }
    (std::string_view(key) == "since" ? f.failed_from_ms : f.failed_to_ms) = ms;
  }
  return f;
}

bool filter_is_empty(const protocol::DeadLetterFilter& f) {
  return f.queue.empty() && f.type.empty() && f.error_class.empty() && f.failed_from_ms == 0 &&
         f.failed_to_ms == 0;
}

bool retry_request_from_json(AdminCall& c, const json& j, protocol::DeadLetterTarget& target,
                             bool& dry_run) {
  for (const auto& [k, v] : j.items()) {
    static constexpr std::string_view kKeys[] = {"ids",         "all",   "queue", "type",
                                                 "error_class", "since", "until", "dry_run"};
    if (std::find(std::begin(kKeys), std::end(kKeys), k) == std::end(kKeys)) {
      c.bad_request(k, fmt::format("unknown key '{}'", k));
      return false;
    }
  }
  target = protocol::DeadLetterTarget{};
  dry_run = false;
  if (j.contains("dry_run")) {
    if (!j["dry_run"].is_boolean()) {
      c.bad_request("dry_run", "dry_run must be true or false");
      return false;
    }
    dry_run = j["dry_run"].get<bool>();
  }
  if (j.contains("ids")) {
    const json& ids = j["ids"];
    if (!ids.is_array() || ids.empty() || ids.size() > 100000) {
      c.bad_request("ids", "ids must be a list of 1..100000 message ids");
      return false;
    }
    for (const json& v : ids) {
      if (!v.is_number_unsigned() || v.get<uint64_t>() == 0) {
        c.bad_request("ids", "ids must be positive whole numbers");
        return false;
      }
      target.ids.push_back(v.get<uint64_t>());
    }
  } else {
    auto filter = filter_from_json(c, j);
    if (!filter) return false;
    const bool all = j.contains("all") && j["all"] == true;
    if (filter_is_empty(*filter) && !all) {
      c.bad_request("body",
                     "give ids, a filter (queue, type, error_class, since, until) or "
                     "\"all\": true");
      return false;
    }
    target.by_filter = true;
    target.filter = *filter;
  }
  return true;
}

bool schedule_spec_from_json(AdminCall& c, const json& j, protocol::ScheduleSpec& spec) {
  static constexpr std::string_view kKeys[] = {
      "name", "type",        "payload",  "metadata", "headers",  "queue",    "priority",
      "at",   "interval_ms", "start_at", "cron",     "timezone", "max_runs", "enabled"};
  for (const auto& [k, v] : j.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), k) == std::end(kKeys)) {
      c.bad_request(k, fmt::format("unknown key '{}'", k));
      return false;
    }
  }
  auto string_key = [&](const char* key, std::string& out, bool required) {
    if (!j.contains(key)) {
      if (required) c.bad_request(key, fmt::format("{} is required", key));
      return !required;
    }
    if (!j[key].is_string()) {
      c.bad_request(key, fmt::format("{} must be a string", key));
      return false;
    }
    out = j[key].get<std::string>();
    return true;
  };
  if (!string_key("name", spec.name, false) || !string_key("type", spec.type, true) ||
      !string_key("queue", spec.queue, false) || !string_key("cron", spec.cron, false) ||
      !string_key("timezone", spec.timezone, false)) {
    return false;
  }
  if (j.contains("payload")) spec.payload = j["payload"].dump();
  if (j.contains("metadata")) {
    if (!j["metadata"].is_object()) {
      c.bad_request("metadata", "metadata must be a JSON object");
      return false;
    }
    spec.metadata = j["metadata"].dump();
  }
  if (j.contains("headers")) {
    if (!j["headers"].is_object()) {
      c.bad_request("headers", "headers must be an object of strings");
      return false;
    }
    for (const auto& [k, v] : j["headers"].items()) {
      if (!v.is_string()) {
        c.bad_request("headers", fmt::format("header '{}' must be a string", k));
        return false;
      }
      spec.headers.emplace_back(k, v.get<std::string>());
    }
  }
  if (j.contains("priority")) {
    if (!j["priority"].is_number_integer() || j["priority"].get<int64_t>() < 1 ||
        j["priority"].get<int64_t>() > 10) {
      c.bad_request("priority", "priority must be a whole number 1..10");
      return false;
    }
    spec.priority = static_cast<uint8_t>(j["priority"].get<int64_t>());
  }
  if (j.contains("max_runs")) {
    if (!j["max_runs"].is_number_unsigned()) {
      c.bad_request("max_runs", "max_runs must be a whole number (0: unlimited)");
      return false;
    }
    spec.max_runs = j["max_runs"].get<uint64_t>();
  }
  if (j.contains("enabled")) {
    if (!j["enabled"].is_boolean()) {
      c.bad_request("enabled", "enabled must be true or false");
      return false;
    }
    spec.enabled = j["enabled"].get<bool>();
  }
  auto time_key = [&](const char* key, int64_t& out) {
    if (!j.contains(key)) return true;
    if (j[key].is_number_integer()) {
      out = j[key].get<int64_t>();
      return true;
    }
    if (j[key].is_string()) {
      auto t = time_value(c, key, j[key].get<std::string>());
      if (t) out = *t;
      return t.has_value();
    }
    c.bad_request(key, fmt::format("{} must be Unix milliseconds or an ISO 8601 string", key));
    return false;
  };
  if (!time_key("at", spec.at_ms) || !time_key("start_at", spec.start_at_ms)) return false;
  const int kinds =
      int(j.contains("at")) + int(j.contains("interval_ms")) + int(j.contains("cron"));
  if (kinds != 1) {
    c.bad_request("at", "give exactly one of at, interval_ms and cron");
    return false;
  }
  if (j.contains("at")) {
    spec.kind = protocol::ScheduleKind::kOnce;
  } else if (j.contains("interval_ms")) {
    if (!j["interval_ms"].is_number_unsigned() || j["interval_ms"].get<uint64_t>() == 0) {
      c.bad_request("interval_ms", "interval_ms must be a positive whole number");
      return false;
    }
    spec.kind = protocol::ScheduleKind::kInterval;
    spec.interval_ms = j["interval_ms"].get<int64_t>();
  } else {
    spec.kind = protocol::ScheduleKind::kCron;
  }
  return true;
}


namespace {

// The request key a core error is about. Core details start with the core's own word for the
// field ("interval: ...", "message: payload is ..."); an HTTP client wants the key it sent.
std::string request_key(protocol::ErrorCode code, std::string_view detail) {
  using protocol::ErrorCode;
  constexpr std::string_view kMessage = "message: ";
  if (detail.substr(0, kMessage.size()) == kMessage) detail.remove_prefix(kMessage.size());
  switch (code) {
    case ErrorCode::kEmptyType: return "type";
    case ErrorCode::kInvalidPayload: return "payload";
    case ErrorCode::kInvalidMetadata: return "metadata";
    case ErrorCode::kPriorityOutOfRange: return "priority";
    case ErrorCode::kInvalidQueueName:
    case ErrorCode::kQueueNotFound: return "queue";
    case ErrorCode::kInvalidHeader:
    case ErrorCode::kTooManyHeaders: return "headers";
    default: break;
  }
  const size_t end = detail.find_first_of(": ");
  const std::string_view word = detail.substr(0, end);
  static const std::pair<std::string_view, std::string_view> kKeys[] = {
      {"interval", "interval_ms"},
      {"start_at", "start_at"},
      {"at", "at"},
      {"cron", "cron"},
      {"timezone", "timezone"},
      {"name", "name"},
      {"type", "type"},
      {"payload", "payload"},
      {"metadata", "metadata"},
      {"idempotency", "idempotency_key"},
  };
  for (const auto& [core_word, key] : kKeys) {
    if (word == core_word) return std::string(key);
  }
  return {};
}

}  // namespace

void answer_error(AdminCall& c, protocol::ErrorCode code, const std::string& detail) {
  const std::string name(protocol::error_name(code));
  switch (code) {
    case protocol::ErrorCode::kUnknownMessage:
    case protocol::ErrorCode::kUnknownSchedule:
    case protocol::ErrorCode::kQueueNotFound: c.error(404, name, "", detail); return;
    default: break;
  }
  switch (protocol::error_category(code)) {
    case protocol::ErrorCategory::kValidation:
      c.error(400, name, request_key(code, detail), detail);
      return;
    case protocol::ErrorCategory::kState: c.error(409, name, "", detail); return;
    case protocol::ErrorCategory::kLimit: c.error(429, name, "", detail); return;
    default: c.error(500, name, "", detail); return;
  }
}

}  // namespace symphony::server::admin
