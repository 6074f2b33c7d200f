// Dead letters, queue purge, message status, schedules.
// Replies to requests that change state (retry, delete, purge, schedule changes) wait for the log
// like DISPATCH confirmations; read-only ones go out at once.
#include "broker/server/broker_service.h"
#include "protocol/dead_letter.h"
#include "protocol/queue_admin.h"
#include "protocol/schedule.h"

namespace symphony::server {

using protocol::ErrorCode;
using protocol::Opcode;

void BrokerService::register_admin_data_ops(OpTable& t) {
  t[static_cast<uint8_t>(Opcode::kQueuePurge)] = &BrokerService::op_queue_purge;
  t[static_cast<uint8_t>(Opcode::kMessageStatus)] = &BrokerService::op_message_status;
  t[static_cast<uint8_t>(Opcode::kFailedList)] = &BrokerService::op_failed_list;
  t[static_cast<uint8_t>(Opcode::kFailedGet)] = &BrokerService::op_failed_get;
  t[static_cast<uint8_t>(Opcode::kFailedRetry)] = &BrokerService::op_failed_retry;
  t[static_cast<uint8_t>(Opcode::kFailedDelete)] = &BrokerService::op_failed_delete;
  t[static_cast<uint8_t>(Opcode::kScheduleCreate)] = &BrokerService::op_schedule_create;
  t[static_cast<uint8_t>(Opcode::kScheduleList)] = &BrokerService::op_schedule_list;
  t[static_cast<uint8_t>(Opcode::kScheduleGet)] = &BrokerService::op_schedule_get;
  t[static_cast<uint8_t>(Opcode::kScheduleUpdate)] = &BrokerService::op_schedule_update;
}

// QUEUE_PURGE queue -> QUEUE_PURGE_RESULT removed
void BrokerService::op_queue_purge(Session& s, const protocol::Frame& f) {
  std::string_view queue;
  if (auto st = protocol::decode_queue_purge(f.body, queue); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  uint64_t removed = 0;
  if (const ErrorCode code = core_.purge_queue(queue, clock_(), removed); code != ErrorCode::kOk) {
    send_error(s, f.request_id, code, "no such queue");
    return;
  }
  protocol::encode_queue_purge_result(durable_out(s), f.request_id, removed);
  schedule_turn_end();
}

// MESSAGE_STATUS [id...] -> MESSAGE_STATUS_RESULT [status...]
void BrokerService::op_message_status(Session& s, const protocol::Frame& f) {
  protocol::IdList ids;
  if (auto st = protocol::decode_message_status(f.body, options_.core.limits.max_batch, ids);
      !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  std::vector<protocol::MessageStatusItem> items;
  items.reserve(ids.count);
  for (uint32_t i = 0; i < ids.count; ++i) items.push_back(core_.status(ids[i]));
  protocol::encode_message_status_result(s.conn->out(), f.request_id, items);
  on_output(*s.conn);
}

// FAILED_LIST filter cursor limit -> FAILED_LIST_RESULT total [summary...] next_cursor
void BrokerService::op_failed_list(Session& s, const protocol::Frame& f) {
  protocol::FailedListRequest req;
  if (auto st = protocol::decode_failed_list(f.body, req); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  protocol::encode_failed_list_result(s.conn->out(), f.request_id, core_.list_dead(req));
  on_output(*s.conn);
}

// FAILED_GET id -> FAILED_GET_RESULT detail
void BrokerService::op_failed_get(Session& s, const protocol::Frame& f) {
  uint64_t id = 0;
  if (auto st = protocol::decode_failed_get(f.body, id); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  protocol::DeadLetterDetail detail;
  if (const ErrorCode code = core_.get_dead(id, detail); code != ErrorCode::kOk) {
    send_error(s, f.request_id, code, "no dead letter with that id");
    return;
  }
  protocol::encode_failed_get_result(s.conn->out(), f.request_id, detail);
  on_output(*s.conn);
}

// FAILED_RETRY target dry_run -> FAILED_RETRY_RESULT [id...] [failure...]
void BrokerService::op_failed_retry(Session& s, const protocol::Frame& f) {
  protocol::DeadLetterTarget target;
  bool dry_run = false;
  if (auto st =
          protocol::decode_failed_retry(f.body, options_.core.limits.max_batch, target, dry_run);
      !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  const auto result = core_.retry_dead(target, dry_run, clock_());
  protocol::encode_dead_letter_action_result(durable_out(s), Opcode::kFailedRetryResult,
                                             f.request_id, result);
  schedule_turn_end();
}

// FAILED_DELETE target -> FAILED_DELETE_RESULT [id...] [failure...]
void BrokerService::op_failed_delete(Session& s, const protocol::Frame& f) {
  protocol::DeadLetterTarget target;
  if (auto st = protocol::decode_failed_delete(f.body, options_.core.limits.max_batch, target);
      !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  const auto result = core_.delete_dead(target, clock_());
  protocol::encode_dead_letter_action_result(durable_out(s), Opcode::kFailedDeleteResult,
                                             f.request_id, result);
  schedule_turn_end();
}

// SCHEDULE_CREATE spec -> SCHEDULE_CREATE_RESULT info
void BrokerService::op_schedule_create(Session& s, const protocol::Frame& f) {
  protocol::ScheduleSpec spec;
  if (auto st = protocol::decode_schedule_create(f.body, spec); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  protocol::ScheduleInfo info;
  std::string detail;
  if (const ErrorCode code = core_.create_schedule(spec, clock_(), info, detail);
      code != ErrorCode::kOk) {
    send_error(s, f.request_id, code, detail);
    return;
  }
  protocol::encode_schedule_result(durable_out(s), Opcode::kScheduleCreateResult, f.request_id,
                                   info);
  schedule_turn_end();
}

// SCHEDULE_LIST -> SCHEDULE_LIST_RESULT [info...]
void BrokerService::op_schedule_list(Session& s, const protocol::Frame& f) {
  if (!f.body.empty()) {
    send_decode_error(s, f.request_id,
                      protocol::DecodeStatus::malformed("SCHEDULE_LIST has a body"));
    return;
  }
  protocol::encode_schedule_list_result(s.conn->out(), f.request_id, core_.list_schedules());
  on_output(*s.conn);
}

// SCHEDULE_GET id -> SCHEDULE_GET_RESULT info
void BrokerService::op_schedule_get(Session& s, const protocol::Frame& f) {
  uint64_t id = 0;
  if (auto st = protocol::decode_schedule_get(f.body, id); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  const protocol::ScheduleInfo* info = core_.find_schedule(id);
  if (!info) {
    send_error(s, f.request_id, ErrorCode::kUnknownSchedule, "no schedule with that id");
    return;
  }
  protocol::encode_schedule_result(s.conn->out(), Opcode::kScheduleGetResult, f.request_id, *info);
  on_output(*s.conn);
}

// SCHEDULE_UPDATE id op -> SCHEDULE_UPDATE_RESULT [info]
void BrokerService::op_schedule_update(Session& s, const protocol::Frame& f) {
  uint64_t id = 0;
  protocol::ScheduleOp op;
  if (auto st = protocol::decode_schedule_update(f.body, id, op); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  std::optional<protocol::ScheduleInfo> after;
  if (const ErrorCode code = core_.update_schedule(id, op, clock_(), after);
      code != ErrorCode::kOk) {
    send_error(s, f.request_id, code, "no schedule with that id");
    return;
  }
  protocol::encode_schedule_update_result(durable_out(s), f.request_id, after ? &*after : nullptr);
  schedule_turn_end();
}

}  // namespace symphony::server
