// /failed: list, show, retry, delete and purge dead letters. Changes are answered once the log
// holds them.
#include <fmt/format.h>

#include "broker/server/admin/admin_api.h"
#include "broker/server/admin/route_args.h"
#include "broker/server/broker_service.h"
#include "protocol/json_views.h"

namespace symphony::server::admin {

using nlohmann::json;

namespace {

json action_json(const protocol::DeadLetterActionResult& r, bool dry_run) {
  json failures = json::array();
  for (const auto& f : r.failures) {
    failures.push_back({{"id", f.id}, {"error", protocol::error_name(f.code)}});
  }
  return {{"ids", r.ids}, {"count", r.ids.size()}, {"dry_run", dry_run}, {"failures", failures}};
}

}  // namespace

void AdminApi::failed_list(const Call& c) {
  if (!c->only_params({"queue", "type", "error_class", "since", "until", "cursor", "limit"})) {
    return;
  }
  protocol::FailedListRequest req;
  auto filter = filter_from_query(*c);
  if (!filter) return;
  req.filter = *filter;
  if (auto it = c->query.find("limit"); it != c->query.end()) {
    char* end = nullptr;
    const long v = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || v < 1 || v > 1000) {
      c->bad_request("limit", "limit must be a whole number 1..1000");
      return;
    }
    req.limit = static_cast<uint32_t>(v);
  }
  if (auto it = c->query.find("cursor"); it != c->query.end() && !it->second.empty()) {
    const std::string& s = it->second;
    const auto colon = s.find(':');
    char* e1 = nullptr;
    char* e2 = nullptr;
    const long long at = colon == std::string::npos ? 0 : std::strtoll(s.c_str(), &e1, 10);
    const unsigned long long id =
        colon == std::string::npos ? 0 : std::strtoull(s.c_str() + colon + 1, &e2, 10);
    if (colon == std::string::npos || e1 != s.c_str() + colon || *e2 != '\0' || id == 0) {
      c->bad_request("cursor", "cursor must be FAILED_AT_MS:ID (the next_cursor of a page)");
      return;
    }
    req.cursor_failed_at_ms = at;
    req.cursor_id = id;
  }
  const auto res = state_.service->core().list_dead(req);
  json items = json::array();
  for (const auto& s : res.items) items.push_back(protocol::dead_letter_summary_json(s));
  const std::string next =
      res.next_cursor_id ? fmt::format("{}:{}", res.next_cursor_failed_at_ms, res.next_cursor_id)
                         : std::string();
  c->send_json(200, {{"total", res.total}, {"items", items}, {"next_cursor", next}});
}

void AdminApi::failed_get(const Call& c) {
  if (!c->only_params({})) return;
  auto id = id_segment(*c, 1);
  if (!id) return;
  protocol::DeadLetterDetail d;
  if (auto code = state_.service->core().get_dead(*id, d); code != protocol::ErrorCode::kOk) {
    c->not_found(fmt::format("{} is not a dead letter", *id));
    return;
  }
  c->send_json(200, protocol::dead_letter_detail_json(d));
}

void AdminApi::failed_retry_one(const Call& c) {
  if (!c->only_params({"dry_run"})) return;
  auto id = id_segment(*c, 1);
  auto dry = id ? flag_param(*c, "dry_run") : std::nullopt;
  if (!id || !dry) return;
  protocol::DeadLetterTarget target;
  target.ids = {*id};
  BrokerService& svc = *state_.service;
  const auto r = svc.mutable_core().retry_dead(target, *dry, svc.now());
  if (r.ids.empty()) {
    c->not_found(fmt::format("{} is not a dead letter", *id));
    return;
  }
  svc.after_durable([c, r, dry = *dry] { c->send_json(200, action_json(r, dry)); });
}

void AdminApi::failed_retry_many(const Call& c) {
  if (!c->only_params({})) return;
  auto body = c->body_object();
  if (!body) return;
  protocol::DeadLetterTarget target;
  bool dry = false;
  if (!retry_request_from_json(*c, *body, target, dry)) return;
  BrokerService& svc = *state_.service;
  const auto r = svc.mutable_core().retry_dead(target, dry, svc.now());
  svc.after_durable([c, r, dry] { c->send_json(200, action_json(r, dry)); });
}

void AdminApi::failed_delete_one(const Call& c) {
  if (!c->only_params({})) return;
  auto id = id_segment(*c, 1);
  if (!id) return;
  protocol::DeadLetterTarget target;
  target.ids = {*id};
  BrokerService& svc = *state_.service;
  const auto r = svc.mutable_core().delete_dead(target, svc.now());
  if (r.ids.empty()) {
    c->not_found(fmt::format("{} is not a dead letter", *id));
    return;
  }
  svc.after_durable([c, r] { c->send_json(200, action_json(r, false)); });
}

void AdminApi::failed_purge(const Call& c) {
  if (!c->only_params({"queue", "type", "error_class", "since", "until", "all"})) return;
  auto filter = filter_from_query(*c);
  if (!filter) return;
  auto all = flag_param(*c, "all");
  if (!all) return;
  if (filter_is_empty(*filter) && !*all) {
    c->bad_request("all", "purging every dead letter needs all=true (or a filter)");
    return;
  }
  protocol::DeadLetterTarget target;
  target.by_filter = true;
  target.filter = *filter;
  BrokerService& svc = *state_.service;
  const auto r = svc.mutable_core().delete_dead(target, svc.now());
  svc.after_durable([c, r] { c->send_json(200, action_json(r, false)); });
}

}  // namespace symphony::server::admin
