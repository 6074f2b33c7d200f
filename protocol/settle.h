#pragma once
// Settling deliveries: ACK (done), NACK (failed: retry later, dead-letter, or hand back), and TOUCH
// (extend the lease). Each takes a batch; the reply reports per id.
//
// ACK          := u32 count, count x u64 message_id          flags bit 0 CONFIRM: reply once
// durable ACK_RESULT   := u32 acked, u32 failed_count, failed_count x (u64 message_id, u16
// error_code) NACK         := u32 count, count x (u64 message_id, u8 mode, str16 error, str16
// error_class) NACK_RESULT  := u32 count, count x (u64 message_id, u16 error_code, u8 outcome,
//                 i64 available_at_ms)
// TOUCH        := u32 extend_ms, u32 count, count x u64 message_id
// TOUCH_RESULT := u32 count, count x (u64 message_id, u16 error_code, i64 lease_deadline_ms)
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/decode_status.h"

namespace symphony::protocol {

/// A list of u64 ids kept as the raw bytes of the frame (no copy, no allocation).
struct IdList {
  uint32_t count = 0;
  std::string_view raw;
  uint64_t operator[](uint32_t i) const {
    uint64_t v;
    std::memcpy(&v, raw.data() + static_cast<size_t>(i) * 8, 8);
    return v;
  }
};

/// What a NACK asks for.
enum class NackMode : uint8_t {
  kFatal = 0,    ///< do not retry: dead-letter now (HandlerError(msg, retryable=false))
  kRetry = 1,    ///< retry after the backoff of the message's retry policy, or dead-letter when
                 ///< retries are exhausted
  kRelease = 2,  ///< hand back unprocessed: ready again now, the attempt is not counted
};

/// What a NACK did.
enum class NackOutcome : uint8_t { kRetryScheduled = 0, kDeadLettered = 1, kReleased = 2 };

struct NackItem {
  uint64_t message_id = 0;
  NackMode mode = NackMode::kRetry;
  std::string_view error;
  std::string_view error_class;
};

struct AckFailure {
  uint64_t message_id = 0;
  ErrorCode code = ErrorCode::kOk;
};

struct AckResult {
  uint32_t acked = 0;
  std::vector<AckFailure> failures;
};

struct NackResultItem {
  uint64_t message_id = 0;
  ErrorCode code = ErrorCode::kOk;
  NackOutcome outcome = NackOutcome::kRetryScheduled;
  int64_t available_at_ms = 0;
};

struct TouchResultItem {
  uint64_t message_id = 0;
  ErrorCode code = ErrorCode::kOk;
  int64_t lease_deadline_ms = 0;
};

void encode_ack(std::string& out, uint32_t request_id, std::span<const uint64_t> ids, bool confirm);
DecodeStatus decode_ack(std::string_view body, uint32_t max_batch, IdList& out);
void encode_ack_result(std::string& out, uint32_t request_id, const AckResult& r);
DecodeStatus decode_ack_result(std::string_view body, AckResult& out);

void encode_nack(std::string& out, uint32_t request_id, std::span<const NackItem> items);
DecodeStatus decode_nack(std::string_view body, uint32_t max_batch, std::vector<NackItem>& out);
void encode_nack_result(std::string& out, uint32_t request_id,
                        std::span<const NackResultItem> items);
DecodeStatus decode_nack_result(std::string_view body, std::vector<NackResultItem>& out);

void encode_touch(std::string& out, uint32_t request_id, uint32_t extend_ms,
                  std::span<const uint64_t> ids);
DecodeStatus decode_touch(std::string_view body, uint32_t max_batch, uint32_t& extend_ms,
                          IdList& out);
void encode_touch_result(std::string& out, uint32_t request_id,
                         std::span<const TouchResultItem> items);
DecodeStatus decode_touch_result(std::string_view body, std::vector<TouchResultItem>& out);

}  // namespace symphony::protocol
