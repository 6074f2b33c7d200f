// /messages/{id}, /schedules..., /queues/{name}/purge. Changes are answered once the log holds
// them.
#include <fmt/format.h>

#include "broker/server/admin/admin_api.h"
#include "broker/server/admin/route_args.h"
#include "broker/server/broker_service.h"
#include "protocol/json_views.h"

namespace symphony::server::admin {

using nlohmann::json;

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
  if (!schedule_spec_from_json(*c, *body, spec)) return;
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
