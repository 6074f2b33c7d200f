#pragma once
// Dead-letter operations: list (filtered, paged, newest first), get one with its attempt
// history, retry (back to its queue, attempts reset; optionally a dry run), delete.
//
// DeadLetterFilter  := str16 queue, str16 type, str16 error_class, i64 failed_from_ms,
//                      i64 failed_to_ms          (empty / 0 = any; the time range is inclusive)
// FAILED_LIST       := DeadLetterFilter, i64 cursor_failed_at_ms, u64 cursor_id, u32 limit
// FAILED_LIST_RESULT:= u64 total, u32 count, count x DeadLetterSummary,
//                      i64 next_cursor_failed_at_ms, u64 next_cursor_id   (0, 0: no more)
// DeadLetterSummary := u64 id, str16 queue, str16 type, u8 priority, i64 created_at_ms,
//                      i64 failed_at_ms, u32 attempts, str16 error, str16 error_class
// FAILED_GET        := u64 id
// FAILED_GET_RESULT := DeadLetterSummary, u16 failure_count, failure_count x (u32 attempt,
//                      i64 failed_at_ms, str16 error, str16 error_class), Headers, blob32 metadata,
//                      blob32 payload, str16 idempotency_key
// FAILED_RETRY      := u8 target (0: ids, 1: filter), then u32 count, count x u64 id (target 0)
//                      or DeadLetterFilter (target 1), u8 dry_run
// FAILED_RETRY_RESULT := u32 count, count x u64 id     (moved, or that would move on a dry run)
//                      u32 failed_count, failed_count x (u64 id, u16 error_code)
// FAILED_DELETE     := u8 target, ids or DeadLetterFilter (as FAILED_RETRY)  (a filter = purge)
// FAILED_DELETE_RESULT := u32 count, count x u64 id, u32 failed_count, failed_count x (u64 id,
//                      u16 error_code)
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/decode_status.h"
#include "protocol/headers.h"
#include "protocol/opcode.h"

namespace symphony::protocol {

struct DeadLetterFilter {
  std::string queue;
  std::string type;
  std::string error_class;
  int64_t failed_from_ms = 0;
  int64_t failed_to_ms = 0;
};

struct DeadLetterSummary {
  uint64_t id = 0;
  std::string queue;
  std::string type;
  uint8_t priority = 0;
  int64_t created_at_ms = 0;
  int64_t failed_at_ms = 0;
  uint32_t attempts = 0;
  std::string error;
  std::string error_class;
};

struct FailureInfo {
  uint32_t attempt = 0;
  int64_t failed_at_ms = 0;
  std::string error;
  std::string error_class;
};

struct DeadLetterDetail {
  DeadLetterSummary summary;
  std::vector<FailureInfo> failures;
  HeaderList headers;
  std::string metadata;
  std::string payload;
  std::string idempotency_key;
};

struct FailedListRequest {
  DeadLetterFilter filter;
  int64_t cursor_failed_at_ms = 0;  ///< 0, 0: from the newest
  uint64_t cursor_id = 0;
  uint32_t limit = 50;
};

struct FailedListResult {
  uint64_t total = 0;  ///< matching the filter, all pages together
  std::vector<DeadLetterSummary> items;
  int64_t next_cursor_failed_at_ms = 0;
  uint64_t next_cursor_id = 0;
};

/// The target of a retry or delete: some ids, or everything a filter matches.
struct DeadLetterTarget {
  bool by_filter = false;
  std::vector<uint64_t> ids;
  DeadLetterFilter filter;
};

struct IdFailure {
  uint64_t id = 0;
  ErrorCode code = ErrorCode::kOk;
};

/// Reply of FAILED_RETRY and FAILED_DELETE.
struct DeadLetterActionResult {
  std::vector<uint64_t> ids;  ///< acted on (or would be, on a dry run)
  std::vector<IdFailure> failures;
};

void encode_failed_list(std::string& out, uint32_t request_id, const FailedListRequest& r);
DecodeStatus decode_failed_list(std::string_view body, FailedListRequest& out);
void encode_failed_list_result(std::string& out, uint32_t request_id, const FailedListResult& r);
DecodeStatus decode_failed_list_result(std::string_view body, FailedListResult& out);

void encode_failed_get(std::string& out, uint32_t request_id, uint64_t id);
DecodeStatus decode_failed_get(std::string_view body, uint64_t& id);
void encode_failed_get_result(std::string& out, uint32_t request_id, const DeadLetterDetail& d);
DecodeStatus decode_failed_get_result(std::string_view body, DeadLetterDetail& out);

void encode_failed_retry(std::string& out, uint32_t request_id, const DeadLetterTarget& t,
                         bool dry_run);
DecodeStatus decode_failed_retry(std::string_view body, uint32_t max_batch, DeadLetterTarget& t,
                                 bool& dry_run);
void encode_failed_delete(std::string& out, uint32_t request_id, const DeadLetterTarget& t);
DecodeStatus decode_failed_delete(std::string_view body, uint32_t max_batch, DeadLetterTarget& t);
/// `op` is kFailedRetryResult or kFailedDeleteResult.
void encode_dead_letter_action_result(std::string& out, Opcode op, uint32_t request_id,
                                      const DeadLetterActionResult& r);
DecodeStatus decode_dead_letter_action_result(std::string_view body, DeadLetterActionResult& out);

}  // namespace symphony::protocol
