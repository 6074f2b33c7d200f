// /messages/{id}, /schedules..., /queues/{name}/purge. Changes are answered once the log holds
// them.
#include <fmt/format.h>

#include "broker/server/admin/admin_api.h"
#include "broker/server/admin/route_args.h"
#include "broker/server/broker_service.h"
#include "protocol/json_views.h"

namespace symphony::server::admin {

using nlohmann::json;

namespace {

/// A schedule spec from the body of POST /schedules; false after answering 400.
bool spec_from_json(AdminCall& c, const json& j, protocol::ScheduleSpec& spec) {
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

}  // namespace

void AdminApi::message_status(const Call& c) {
  if (!c->only_params({})) return;
  auto id = id_segment(*c, 1);
  if (!id) return;
  const auto s = state_.service->core().status(*id);
  if (s.code != protocol::ErrorCode::kOk) {
    c->not_found(
        fmt::format("no message {} (never existed, or completed and past retention)", *id));
    return;
  }
  c->send_json(200, protocol::message_status_json(s));
}

void AdminApi::schedule_list(const Call& c) {
  if (!c->only_params({})) return;
  json items = json::array();
  for (const auto& s : state_.service->core().list_schedules()) {
    items.push_back(protocol::schedule_json(s));
  }
  c->send_json(200, {{"schedules", items}});
}

void AdminApi::schedule_create(const Call& c) {
  if (!c->only_params({})) return;
  auto body = c->body_object();
  if (!body) return;
  protocol::ScheduleSpec spec;
  if (!spec_from_json(*c, *body, spec)) return;
  BrokerService& svc = *state_.service;
  protocol::ScheduleInfo info;
  std::string detail;
  const auto code = svc.mutable_core().create_schedule(spec, svc.now(), info, detail);
  if (code == protocol::ErrorCode::kQueueNotFound) {
    c->error(400, protocol::error_name(code), "queue", detail);
    return;
  }
  if (code != protocol::ErrorCode::kOk) {
    answer_error(*c, code, detail);
    return;
  }
  svc.after_durable([c, info] { c->send_json(201, protocol::schedule_json(info)); });
}

void AdminApi::schedule_get(const Call& c) {
  if (!c->only_params({})) return;
  auto id = id_segment(*c, 1);
  if (!id) return;
  const protocol::ScheduleInfo* info = state_.service->core().find_schedule(*id);
  if (!info) {
    c->not_found(fmt::format("no schedule {}", *id));
    return;
  }
  c->send_json(200, protocol::schedule_json(*info));
}

namespace {

void update_schedule(BrokerService& svc, const std::shared_ptr<AdminCall>& c, uint64_t id,
                     protocol::ScheduleOp op) {
  std::optional<protocol::ScheduleInfo> after;
  if (svc.mutable_core().update_schedule(id, op, svc.now(), after) != protocol::ErrorCode::kOk) {
    c->not_found(fmt::format("no schedule {}", id));
    return;
  }
  svc.after_durable([c, id, after] {
    c->send_json(200,
                 after ? protocol::schedule_json(*after) : json{{"id", id}, {"deleted", true}});
  });
}

}  // namespace

void AdminApi::schedule_enable(const Call& c) {
  if (!c->only_params({})) return;
  if (auto id = id_segment(*c, 1)) {
    update_schedule(*state_.service, c, *id, protocol::ScheduleOp::kEnable);
  }
}

void AdminApi::schedule_disable(const Call& c) {
  if (!c->only_params({})) return;
  if (auto id = id_segment(*c, 1)) {
    update_schedule(*state_.service, c, *id, protocol::ScheduleOp::kDisable);
  }
}

void AdminApi::schedule_delete(const Call& c) {
  if (!c->only_params({})) return;
  if (auto id = id_segment(*c, 1)) {
    update_schedule(*state_.service, c, *id, protocol::ScheduleOp::kDelete);
  }
}

void AdminApi::queue_purge(const Call& c) {
  if (!c->only_params({})) return;
  const std::string queue = c->segments.at(1);
  BrokerService& svc = *state_.service;
  uint64_t removed = 0;
  if (svc.mutable_core().purge_queue(queue, svc.now(), removed) != protocol::ErrorCode::kOk) {
    c->not_found(fmt::format("no queue '{}'", queue));
    return;
  }
  svc.after_durable([c, queue, removed] {
    c->send_json(200, {{"queue", queue}, {"removed", removed}});
  });
}

}  // namespace symphony::server::admin
