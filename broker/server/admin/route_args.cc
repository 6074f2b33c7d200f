#include "broker/server/admin/route_args.h"

#include <fmt/format.h>

#include <charconv>

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
