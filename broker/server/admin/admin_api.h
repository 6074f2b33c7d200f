#pragma once
// The admin HTTP API: routes, authentication, the access log. Requests arrive from AdminListener
// on the event loop, run against the BrokerService on the same thread, and are answered through
// their Respond (at once, or once the log holds what a request changed). Routes are listed in
// docs/operations.md ("Admin API"); their handlers are grouped by family:
//   admin_api.cc          routing, auth, /, /health, /ready, /metrics, /status, /backup
//   dead_letter_routes.cc /failed...
//   data_routes.cc        /messages/{id}, /schedules..., /queues/{name}/purge
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "broker/server/admin/admin_call.h"
#include "broker/server/admin/http_types.h"

namespace symphony::server {
class AuthGate;
class BrokerService;
class BackupRunner;
struct ServerOptions;
}  // namespace symphony::server

namespace symphony::server::admin {

/// What the API reads of the server; the server updates it as start-up proceeds.
struct AdminState {
  const ServerOptions* options = nullptr;
  BrokerService* service = nullptr;  ///< null until recovery finished
  BackupRunner* backup = nullptr;
  AuthGate* auth = nullptr;  ///< where token checks report (throttle, log, counter)
  std::function<uint64_t()> log_disk_bytes;
  bool draining = false;
};

class AdminApi {
 public:
  explicit AdminApi(AdminState& state);
  void handle(HttpRequest&& req, const std::string& remote, Respond respond);

 private:
  using Call = std::shared_ptr<AdminCall>;
  using Handler = void (AdminApi::*)(const Call&);
  struct Route {
    http::verb method;
    std::vector<std::string> pattern;  ///< "*" matches one segment
    Handler handler;
    bool needs_service;  ///< 503 while recovering
  };
  static const std::vector<Route>& routes();
  /// Why the request's bearer token is refused ("" when it is accepted).
  std::string_view token_problem(const HttpRequest& req) const;
  /// Runs the matched route (503 first while recovering, if it needs the service).
  void run(const Route& route, const Call& c);
  /// Answers `c` with 503 while recovering; false then.
  bool ready_or_503(const Call& c);

  // admin_api.cc
  void dashboard(const Call& c);
  void health(const Call& c);
  void ready(const Call& c);
  void metrics(const Call& c);
  void status(const Call& c);
  void backup(const Call& c);
  // dead_letter_routes.cc
  void failed_list(const Call& c);
  void failed_get(const Call& c);
  void failed_retry_one(const Call& c);
  void failed_retry_many(const Call& c);
  void failed_delete_one(const Call& c);
  void failed_purge(const Call& c);
  // data_routes.cc
  void message_status(const Call& c);
  void schedule_list(const Call& c);
  void schedule_create(const Call& c);
  void schedule_get(const Call& c);
  void schedule_enable(const Call& c);
  void schedule_disable(const Call& c);
  void schedule_delete(const Call& c);
  void queue_purge(const Call& c);

  AdminState& state_;
};

}  // namespace symphony::server::admin
