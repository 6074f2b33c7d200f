#pragma once
// Queue purge and message status.
//
// QUEUE_PURGE           := str16 queue
// QUEUE_PURGE_RESULT    := u64 removed              (ready and delayed envelopes removed)
// MESSAGE_STATUS        := u32 count, count x u64 id
// MESSAGE_STATUS_RESULT := u32 count, count x (u64 id, u16 error_code, u8 status, str16 queue,
//                          u32 attempts, i64 at_ms)
// `status` is 0 pending, 1 processing, 2 completed, 3 failed; `at_ms` is when it was dispatched
// (pending, processing), completed, or failed. An id the broker no longer knows (completed and
// past its retention, deleted, purged, never existed) gets UNKNOWN_MESSAGE.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/decode_status.h"
#include "protocol/dispatch.h"
#include "protocol/settle.h"

namespace symphony::protocol {

struct MessageStatusItem {
  uint64_t id = 0;
  ErrorCode code = ErrorCode::kOk;
  EnvelopeStatus status = EnvelopeStatus::kPending;
  std::string queue;
  uint32_t attempts = 0;
  int64_t at_ms = 0;
};

void encode_queue_purge(std::string& out, uint32_t request_id, std::string_view queue);
DecodeStatus decode_queue_purge(std::string_view body, std::string_view& queue);
void encode_queue_purge_result(std::string& out, uint32_t request_id, uint64_t removed);
DecodeStatus decode_queue_purge_result(std::string_view body, uint64_t& removed);

void encode_message_status(std::string& out, uint32_t request_id, std::span<const uint64_t> ids);
DecodeStatus decode_message_status(std::string_view body, uint32_t max_batch, IdList& ids);
void encode_message_status_result(std::string& out, uint32_t request_id,
                                  std::span<const MessageStatusItem> items);
DecodeStatus decode_message_status_result(std::string_view body,
                                          std::vector<MessageStatusItem>& out);

}  // namespace symphony::protocol
