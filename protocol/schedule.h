#pragma once
// Recurring and one-off schedules: each firing dispatches the schedule's message through the
// normal dispatch path (routing, priority, idempotency).
//
// ScheduleSpec := str16 name, u8 kind (0 once, 1 interval, 2 cron), i64 at_ms, i64 interval_ms,
//                 str16 cron, str16 timezone, i64 start_at_ms, u64 max_runs, u8 enabled,
//                 str16 type, blob32 payload, blob32 metadata, Headers, str16 queue, u8 priority
// ScheduleInfo := u64 id, ScheduleSpec, i64 next_run_at_ms, i64 last_run_at_ms, u64 run_count,
//                 i64 created_at_ms, i64 updated_at_ms, str16 last_error
// SCHEDULE_CREATE := ScheduleSpec               -> SCHEDULE_CREATE_RESULT := ScheduleInfo
// SCHEDULE_LIST   := (empty)                    -> SCHEDULE_LIST_RESULT := u32 count,
// ScheduleInfo... SCHEDULE_GET    := u64 id                     -> SCHEDULE_GET_RESULT :=
// ScheduleInfo SCHEDULE_UPDATE := u64 id, u8 op (0 enable, 1 disable, 2 delete)
//                                               -> SCHEDULE_UPDATE_RESULT := u8 exists,
//                                               [ScheduleInfo]
// The log stores a schedule as the same ScheduleInfo encoding (wal record schedule_set).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/decode_status.h"
#include "protocol/headers.h"
#include "protocol/opcode.h"
#include "protocol/wire.h"

namespace symphony::protocol {

enum class ScheduleKind : uint8_t { kOnce = 0, kInterval = 1, kCron = 2 };
std::string_view schedule_kind_name(ScheduleKind kind);

struct ScheduleSpec {
  std::string name;
  ScheduleKind kind = ScheduleKind::kOnce;
  int64_t at_ms = 0;        ///< once: when (Unix ms)
  int64_t interval_ms = 0;  ///< interval: period
  std::string cron;         ///< cron: 5 or 6 fields
  std::string timezone = "UTC";
  int64_t start_at_ms = 0;  ///< interval: first run (0: creation + interval)
  uint64_t max_runs = 0;    ///< 0: unlimited
  bool enabled = true;
  // the message each firing dispatches
  std::string type;
  std::string payload = "{}";
  std::string metadata;
  HeaderList headers;
  std::string queue;  ///< empty: routed by type
  uint8_t priority = 0;
};

struct ScheduleInfo {
  uint64_t id = 0;
  ScheduleSpec spec;
  int64_t next_run_at_ms = 0;  ///< 0: will not run again
  int64_t last_run_at_ms = 0;  ///< 0: never ran
  uint64_t run_count = 0;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::string last_error;  ///< why the last firing's dispatch failed, if it did
};

enum class ScheduleOp : uint8_t { kEnable = 0, kDisable = 1, kDelete = 2 };

void write_schedule_info(ByteWriter& w, const ScheduleInfo& s);
bool read_schedule_info(ByteReader& r, ScheduleInfo& s);

void encode_schedule_create(std::string& out, uint32_t request_id, const ScheduleSpec& spec);
DecodeStatus decode_schedule_create(std::string_view body, ScheduleSpec& out);
void encode_schedule_list(std::string& out, uint32_t request_id);
void encode_schedule_get(std::string& out, uint32_t request_id, uint64_t id);
DecodeStatus decode_schedule_get(std::string_view body, uint64_t& id);
void encode_schedule_update(std::string& out, uint32_t request_id, uint64_t id, ScheduleOp op);
DecodeStatus decode_schedule_update(std::string_view body, uint64_t& id, ScheduleOp& op);

/// SCHEDULE_CREATE_RESULT / SCHEDULE_GET_RESULT: exactly one ScheduleInfo.
void encode_schedule_result(std::string& out, Opcode op, uint32_t request_id,
                            const ScheduleInfo& s);
DecodeStatus decode_schedule_result(std::string_view body, ScheduleInfo& out);
void encode_schedule_list_result(std::string& out, uint32_t request_id,
                                 const std::vector<ScheduleInfo>& list);
DecodeStatus decode_schedule_list_result(std::string_view body, std::vector<ScheduleInfo>& out);
/// SCHEDULE_UPDATE_RESULT: the schedule after the change, or none after a delete.
void encode_schedule_update_result(std::string& out, uint32_t request_id, const ScheduleInfo* s);
DecodeStatus decode_schedule_update_result(std::string_view body, bool& exists, ScheduleInfo& out);

}  // namespace symphony::protocol
