// OVERVIEW, HEALTH, METRICS, BACKUP: the admin API's /status, /health, /metrics and /backup over
// the binary protocol. Each reply carries the very document the HTTP route serves, built by the
// same functions, so `symphony` and the admin API cannot disagree.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "broker/server/backup_runner.h"
#include "broker/server/broker_service.h"
#include "broker/server/health.h"
#include "broker/server/logging.h"
#include "broker/server/metrics_text.h"
#include "broker/server/status_report.h"
#include "protocol/observe.h"

namespace symphony::server {

using protocol::ErrorCode;
using protocol::Opcode;

void BrokerService::register_observe_ops(OpTable& t) {
  t[static_cast<uint8_t>(Opcode::kOverview)] = &BrokerService::op_overview;
  t[static_cast<uint8_t>(Opcode::kHealth)] = &BrokerService::op_health;
  t[static_cast<uint8_t>(Opcode::kMetrics)] = &BrokerService::op_metrics;
  t[static_cast<uint8_t>(Opcode::kBackup)] = &BrokerService::op_backup;
}

// OVERVIEW minutes -> OVERVIEW_RESULT json (GET /status?minutes=N)
void BrokerService::op_overview(Session& s, const protocol::Frame& f) {
  uint8_t minutes = 0;
  if (auto st = protocol::decode_overview(f.body, minutes); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  const std::vector<int> windows =
      minutes == 0 ? std::vector<int>{1, 5, 60} : std::vector<int>{minutes};
  protocol::encode_document_result(s.conn->out(), Opcode::kOverviewResult, f.request_id,
                                   status_report(core_, clock_(), windows).dump());
  on_output(*s.conn);
}

// HEALTH -> HEALTH_RESULT json (GET /health; an unhealthy broker still answers, with reasons)
void BrokerService::op_health(Session& s, const protocol::Frame& f) {
  if (auto st = protocol::decode_health(f.body); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  const HealthReport r = broker_health(this, draining_, options_.data_dir, options_.health);
  protocol::encode_document_result(s.conn->out(), Opcode::kHealthResult, f.request_id,
                                   r.to_json().dump());
  on_output(*s.conn);
}

// METRICS -> METRICS_RESULT text (GET /metrics)
void BrokerService::op_metrics(Session& s, const protocol::Frame& f) {
  if (auto st = protocol::decode_metrics(f.body); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  protocol::encode_document_result(
      s.conn->out(), Opcode::kMetricsResult, f.request_id,
      metrics_text(metrics_inputs(this, draining_, store_.disk_bytes())));
  on_output(*s.conn);
}

namespace {

ErrorCode backup_error_code(const BackupResult& r) {
  switch (r.http_status) {
    case 400: return ErrorCode::kInvalidArgument;
    case 409: return ErrorCode::kBackupRunning;
    default: return ErrorCode::kStorageError;
  }
}

}  // namespace

// BACKUP name -> BACKUP_RESULT json (POST /backup). The backup goes to BACKUP_DIR/name (a bad
// name is INVALID_ARGUMENT). The checkpoint runs off the event loop; the reply goes out when it
// ends, to the connection if it is still open.
void BrokerService::op_backup(Session& s, const protocol::Frame& f) {
  std::string_view name;
  if (auto st = protocol::decode_backup(f.body, name); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  if (draining_) {
    // the connection closes once its output is out, before a backup could answer
    send_error(s, f.request_id, ErrorCode::kShuttingDown, "the broker is shutting down");
    return;
  }
  if (!backup_) {
    send_error(s, f.request_id, ErrorCode::kInternal, "backups are not available");
    return;
  }
  // by id, not by reference: the session may be gone by the time the backup ends
  const uint64_t session_id = s.conn->id();
  const uint32_t request_id = f.request_id;
  backup_->start(std::string(name), [this, session_id, request_id](const BackupResult& r) {
    Session* s = find_session(session_id);
    if (!s) {
      logs::net().debug("connection {} closed before its backup to {} ended", session_id, r.path);
      return;
    }
    if (!r.ok) {
      send_error(*s, request_id, backup_error_code(r), r.error);
      return;
    }
    const nlohmann::json doc{
        {"name", r.name}, {"path", r.path}, {"bytes", r.bytes}, {"millis", r.millis}};
    protocol::encode_document_result(s->conn->out(), Opcode::kBackupResult, request_id, doc.dump());
    on_output(*s->conn);
  });
}

}  // namespace symphony::server
