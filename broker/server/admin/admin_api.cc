#include "broker/server/admin/admin_api.h"

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <cstdlib>

#include "broker/server/admin/dashboard_page.h"
#include "broker/server/admin/request_guard.h"
#include "broker/server/auth_gate.h"
#include "broker/server/auth_token.h"
#include "broker/server/backup_runner.h"
#include "broker/server/broker_service.h"
#include "broker/server/health.h"
#include "broker/server/logging.h"
#include "broker/server/metrics_text.h"
#include "broker/server/server.h"
#include "broker/server/status_report.h"

namespace symphony::server::admin {

using nlohmann::json;
using V = http::verb;

AdminApi::AdminApi(AdminState& state) : state_(state) {}

const std::vector<AdminApi::Route>& AdminApi::routes() {
  static const std::vector<Route> table = {
      {V::get, {}, &AdminApi::dashboard, false},
      {V::get, {"health"}, &AdminApi::health, false},
      {V::get, {"ready"}, &AdminApi::ready, false},
      {V::get, {"metrics"}, &AdminApi::metrics, false},
      {V::get, {"status"}, &AdminApi::status, true},
      {V::post, {"backup"}, &AdminApi::backup, true},
      {V::get, {"failed"}, &AdminApi::failed_list, true},
      {V::delete_, {"failed"}, &AdminApi::failed_purge, true},
      {V::post, {"failed", "retry"}, &AdminApi::failed_retry_many, true},
      {V::get, {"failed", "*"}, &AdminApi::failed_get, true},
      {V::delete_, {"failed", "*"}, &AdminApi::failed_delete_one, true},
      {V::post, {"failed", "*", "retry"}, &AdminApi::failed_retry_one, true},
      {V::get, {"messages", "*"}, &AdminApi::message_status, true},
      {V::get, {"schedules"}, &AdminApi::schedule_list, true},
      {V::post, {"schedules"}, &AdminApi::schedule_create, true},
      {V::get, {"schedules", "*"}, &AdminApi::schedule_get, true},
      {V::delete_, {"schedules", "*"}, &AdminApi::schedule_delete, true},
      {V::post, {"schedules", "*", "enable"}, &AdminApi::schedule_enable, true},
      {V::post, {"schedules", "*", "disable"}, &AdminApi::schedule_disable, true},
      {V::post, {"queues", "*", "purge"}, &AdminApi::queue_purge, true},
  };
  return table;
}

std::string_view AdminApi::token_problem(const HttpRequest& req) const {
  const auto& tokens = state_.options->service.auth_tokens;
  if (tokens.empty()) return {};
  const auto it = req.find(http::field::authorization);
  if (it == req.end()) return "no Authorization header";
  const std::string_view value(it->value().data(), it->value().size());
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() || value.substr(0, kBearer.size()) != kBearer) {
    return "Authorization is not Bearer TOKEN";
  }
  return token_accepted(tokens, value.substr(kBearer.size())) ? "" : "wrong token";
}

bool AdminApi::ready_or_503(const Call& c) {
  if (state_.service) return true;
  c->error(503, "recovering", "", "the broker is recovering its log; try again shortly");
  return false;
}

void AdminApi::handle(HttpRequest&& req, const std::string& remote, Respond respond) {
  auto c = std::make_shared<AdminCall>();
  const auto t0 = std::chrono::steady_clock::now();
  const std::string method(req.method_string());
  const std::string target(req.target());
  // the access log line is written when the answer goes out, whenever that is
  c->respond = [respond = std::move(respond), remote, method, target, t0](HttpResponse&& res) {
    logs::admin().debug(
        "{} \"{} {}\" {} {} {}ms", remote, method, target, res.result_int(), res.body().size(),
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count());
    respond(std::move(res));
  };
  c->req = std::move(req);
  auto refuse = [&](const Refusal& no) {
    logs::admin().info("{}: {} {}: refused: {}", remote, method, target, no.message);
    c->error(no.status, no.code, no.field, no.message);
  };
  // before anything else: a request naming another host is not ours (DNS rebinding)
  if (auto no = check_host(c->req, state_.options->admin.allowed_hosts)) {
    refuse(*no);
    return;
  }
  if (!parse_target(target, c->path, c->segments, c->query)) {
    c->bad_request("path", "the request target is not valid percent-encoding");
    return;
  }
  // HEAD is GET without the content (AdminCall::send drops it)
  const http::verb method_as = c->req.method() == V::head ? V::get : c->req.method();
  const Route* match = nullptr;
  std::string allow;
  for (const Route& r : routes()) {
    if (r.pattern.size() != c->segments.size()) continue;
    bool same = true;
    for (size_t i = 0; i < r.pattern.size() && same; ++i) {
      same = r.pattern[i] == "*" || r.pattern[i] == c->segments[i];
    }
    if (!same) continue;
    if (r.method == method_as && !match) match = &r;
    const std::string name(http::to_string(r.method));
    if (allow.find(name) == std::string::npos) {
      allow += (allow.empty() ? "" : ", ") + name;
      if (r.method == V::get) allow += ", HEAD";
    }
  }
  if (!match) {
    if (!allow.empty()) {
      c->extra_headers.emplace_back(http::field::allow, allow);
      c->error(405, "method_not_allowed", "",
               fmt::format("{} is not allowed on {}; allowed: {}", method, c->path, allow));
    } else {
      c->not_found(fmt::format("no such endpoint: {}", c->path));
    }
    return;
  }
  // cross-site requests, before the token: a page cannot spend its victim's auth failures
  if (auto no = check_cross_site(c->req, state_.options->tls.enabled())) {
    refuse(*no);
    return;
  }
  // the page itself and the load balancer's probes are open; the page asks for a token
  const bool open = match->handler == &AdminApi::dashboard || match->handler == &AdminApi::health ||
                    match->handler == &AdminApi::ready;
  if (open || state_.options->service.auth_tokens.empty()) {
    run(*match, c);
    return;
  }
  const std::string_view problem = token_problem(c->req);
  const auto answer = [this, c, match, ok = problem.empty()] {
    if (ok) {
      run(*match, c);
      return;
    }
    c->extra_headers.emplace_back(http::field::www_authenticate, "Bearer");
    c->close_after = true;
    c->error(401, "auth_failed", "", "this endpoint needs Authorization: Bearer <token>");
  };
  if (!state_.auth) {
    answer();  // no throttle attached (an API on its own, as the fuzzer runs it): the same check
    return;
  }
  // an address that failed before waits, whatever it sends now (AuthThrottle); the session reads
  // no further request until this one is answered
  const bool missing = c->req.find(http::field::authorization) == c->req.end();
  state_.auth->admit({AuthDoor::kAdminApi, remote, problem.empty(), problem, missing}, answer);
}

void AdminApi::run(const Route& route, const Call& c) {
  if (route.needs_service && !ready_or_503(c)) return;
  // what changes state needs the log; a backup only reads it (and reports its own failure)
  if (state_.service && state_.service->storage_failed() && route.method != V::get &&
      route.handler != &AdminApi::backup) {
    const LogHealth& log = state_.service->log_health();
    std::string code(protocol::error_name(log.refusal()));
    for (char& ch : code) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    c->error(503, code, "", log.refusal_text());
    return;
  }
  try {
    (this->*route.handler)(c);
  } catch (const std::exception& e) {
    // a handler bug must cost one request, never the broker
    logs::admin().error("{} {}: {}", std::string(c->req.method_string()),
                        std::string(c->req.target()), e.what());
    c->error(500, "internal_error", "", "the request failed inside the broker; see its log");
  }
}

void AdminApi::dashboard(const Call& c) {
  c->send(200, std::string(dashboard_html()), "text/html; charset=utf-8");
}

void AdminApi::health(const Call& c) {
  if (!c->only_params({})) return;
  const HealthReport r = broker_health(state_.service, state_.draining, state_.options->data_dir,
                                       state_.options->health);
  c->send_json(r.http_status(), r.to_json());
}

void AdminApi::ready(const Call& c) {
  if (!c->only_params({})) return;
  if (!state_.service) {
    c->send_json(503, {{"ready", false}, {"reason", "recovering the log"}});
  } else if (state_.draining) {
    c->send_json(503, {{"ready", false}, {"reason", "shutting down"}});
  } else {
    c->send_json(200, {{"ready", true}});
  }
}

void AdminApi::metrics(const Call& c) {
  if (!c->only_params({})) return;
  const uint64_t log_bytes = state_.log_disk_bytes ? state_.log_disk_bytes() : 0;
  c->send(200, metrics_text(metrics_inputs(state_.service, state_.draining, log_bytes)),
          "text/plain; version=0.0.4; charset=utf-8");
}

void AdminApi::status(const Call& c) {
  if (!c->only_params({"minutes"})) return;
  std::vector<int> windows{1, 5, 60};
  if (auto it = c->query.find("minutes"); it != c->query.end()) {
    char* end = nullptr;
    const long m = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || m < 1 || m > 60) {
      c->bad_request("minutes", "minutes must be a whole number 1..60");
      return;
    }
    windows = {static_cast<int>(m)};
  }
  c->send_json(200, status_report(state_.service->core(), state_.service->now(), windows));
}

void AdminApi::backup(const Call& c) {
  if (!c->only_params({})) return;
  auto body = c->body_object();
  if (!body) return;
  if (body->contains("path")) {
    c->bad_request("path",
                   "POST /backup takes {\"name\": NAME}, not a path: backups go into the "
                   "broker's backup directory ([admin] backup_dir), as BACKUP_DIR/NAME");
    return;
  }
  for (const auto& [k, v] : body->items()) {
    if (k != "name") {
      c->bad_request(k, fmt::format("unknown key '{}'", k));
      return;
    }
  }
  if (!body->contains("name") || !(*body)["name"].is_string()) {
    c->bad_request("name",
                   "name (a string: the new backup's directory name inside the backup "
                   "directory) is required");
    return;
  }
  state_.backup->start((*body)["name"].get<std::string>(), [c](const BackupResult& r) {
    if (!r.ok) {
      c->error(r.http_status,
               r.http_status == 409   ? "conflict"
               : r.http_status == 400 ? "bad_request"
                                      : "backup_failed",
               r.http_status == 400 ? "name" : "", r.error);
      return;
    }
    c->send_json(200,
                 {{"name", r.name}, {"path", r.path}, {"bytes", r.bytes}, {"millis", r.millis}});
  });
}

}  // namespace symphony::server::admin
