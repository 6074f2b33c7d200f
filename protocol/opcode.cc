#include "protocol/opcode.h"

namespace symphony::protocol {

std::string_view opcode_name(Opcode op) {
  switch (op) {
    case Opcode::kHello: return "HELLO";
    case Opcode::kPing: return "PING";
    case Opcode::kDispatch: return "DISPATCH";
    case Opcode::kSubscribe: return "SUBSCRIBE";
    case Opcode::kCredit: return "CREDIT";
    case Opcode::kAck: return "ACK";
    case Opcode::kNack: return "NACK";
    case Opcode::kTouch: return "TOUCH";
    case Opcode::kQueueStats: return "QUEUE_STATS";
    case Opcode::kQueuePurge: return "QUEUE_PURGE";
    case Opcode::kMessageStatus: return "MESSAGE_STATUS";
    case Opcode::kOverview: return "OVERVIEW";
    case Opcode::kHealth: return "HEALTH";
    case Opcode::kMetrics: return "METRICS";
    case Opcode::kBackup: return "BACKUP";
    case Opcode::kFailedList: return "FAILED_LIST";
    case Opcode::kFailedGet: return "FAILED_GET";
    case Opcode::kFailedRetry: return "FAILED_RETRY";
    case Opcode::kFailedDelete: return "FAILED_DELETE";
    case Opcode::kScheduleCreate: return "SCHEDULE_CREATE";
    case Opcode::kScheduleList: return "SCHEDULE_LIST";
    case Opcode::kScheduleGet: return "SCHEDULE_GET";
    case Opcode::kScheduleUpdate: return "SCHEDULE_UPDATE";
    case Opcode::kWelcome: return "WELCOME";
    case Opcode::kPong: return "PONG";
    case Opcode::kDispatchResult: return "DISPATCH_RESULT";
    case Opcode::kSubscribed: return "SUBSCRIBED";
    case Opcode::kCreditOk: return "CREDIT_OK";
    case Opcode::kAckResult: return "ACK_RESULT";
    case Opcode::kNackResult: return "NACK_RESULT";
    case Opcode::kTouchResult: return "TOUCH_RESULT";
    case Opcode::kQueueStatsResult: return "QUEUE_STATS_RESULT";
    case Opcode::kQueuePurgeResult: return "QUEUE_PURGE_RESULT";
    case Opcode::kMessageStatusResult: return "MESSAGE_STATUS_RESULT";
    case Opcode::kOverviewResult: return "OVERVIEW_RESULT";
    case Opcode::kHealthResult: return "HEALTH_RESULT";
    case Opcode::kMetricsResult: return "METRICS_RESULT";
    case Opcode::kBackupResult: return "BACKUP_RESULT";
    case Opcode::kFailedListResult: return "FAILED_LIST_RESULT";
    case Opcode::kFailedGetResult: return "FAILED_GET_RESULT";
    case Opcode::kFailedRetryResult: return "FAILED_RETRY_RESULT";
    case Opcode::kFailedDeleteResult: return "FAILED_DELETE_RESULT";
    case Opcode::kScheduleCreateResult: return "SCHEDULE_CREATE_RESULT";
    case Opcode::kScheduleListResult: return "SCHEDULE_LIST_RESULT";
    case Opcode::kScheduleGetResult: return "SCHEDULE_GET_RESULT";
    case Opcode::kScheduleUpdateResult: return "SCHEDULE_UPDATE_RESULT";
    case Opcode::kDeliver: return "DELIVER";
    case Opcode::kError: return "ERROR";
    case Opcode::kGoaway: return "GOAWAY";
  }
  return "UNKNOWN";
}

std::optional<Opcode> to_opcode(uint8_t raw) {
  auto op = static_cast<Opcode>(raw);
  if (opcode_name(op) == "UNKNOWN") return std::nullopt;
  return op;
}

bool is_request(Opcode op) {
  // requests live below 0x60; pushes in 0x60..0x7F; replies have the high bit set
  return static_cast<uint8_t>(op) < 0x60;
}

}  // namespace symphony::protocol
