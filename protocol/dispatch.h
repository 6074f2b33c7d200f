#pragma once
// DISPATCH / DISPATCH_RESULT: producers send a batch of messages; the reply carries one result per
// destination envelope (more than one per message when routing fans out), each naming the index
// of its message in the request.
//
// DISPATCH        := u32 count, count x DispatchMessage
// DispatchMessage := str16 type, blob32 payload, blob32 metadata, Headers, str16 queue,
//                    u8 priority, u8 when, i64 when_value, str16 idempotency_key
// DISPATCH_RESULT := u32 count, count x DispatchResult
// DispatchResult  := u32 index, u16 error_code, u64 message_id, str16 queue, u8 duplicate,
//                    u8 status, str16 error_message
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/decode_status.h"
#include "protocol/headers.h"

namespace symphony::protocol {

/// When a message becomes available: now, after a delay, or at an absolute time.
enum class When : uint8_t {
  kNow = 0,
  kDelayMs = 1,   ///< when_value: milliseconds from the broker's receipt
  kAtUnixMs = 2,  ///< when_value: Unix time in milliseconds (the seeds' scheduledAt)
};

/// Priority 0 on the wire means "the queue's default" (5 unless configured); 1..10 otherwise.
inline constexpr uint8_t kDefaultPriorityMarker = 0;
inline constexpr uint8_t kMinPriority = 1;
inline constexpr uint8_t kMaxPriority = 10;
inline constexpr uint8_t kDefaultPriority = 5;

/// One message of a DISPATCH; views point into the frame (or the caller's storage).
struct DispatchMessage {
  std::string_view type;
  std::string_view payload;   ///< JSON object text
  std::string_view metadata;  ///< JSON object text, or empty for none
  HeadersView headers;
  std::string_view queue;  ///< empty: route by type
  uint8_t priority = kDefaultPriorityMarker;
  When when = When::kNow;
  int64_t when_value = 0;
  std::string_view idempotency_key;  ///< empty: none
};

/// Envelope status as the seeds name it.
enum class EnvelopeStatus : uint8_t { kPending = 0, kProcessing = 1, kCompleted = 2, kFailed = 3 };
std::string_view status_name(EnvelopeStatus status);

struct DispatchResult {
  uint32_t index = 0;
  ErrorCode code = ErrorCode::kOk;
  uint64_t message_id = 0;
  std::string_view queue;
  bool duplicate = false;
  EnvelopeStatus status = EnvelopeStatus::kPending;
  std::string error;  ///< human-readable detail when code != kOk
};

void encode_dispatch(std::string& out, uint32_t request_id, std::span<const DispatchMessage> batch);
/// Decodes into `out` (cleared first, capacity reused). Fails on a count over `max_batch` with
/// BATCH_TOO_LARGE before reading any message.
DecodeStatus decode_dispatch(std::string_view body, uint32_t max_batch,
                             std::vector<DispatchMessage>& out);

void encode_dispatch_result(std::string& out, uint32_t request_id,
                            std::span<const DispatchResult> results);
DecodeStatus decode_dispatch_result(std::string_view body, std::vector<DispatchResult>& out);

}  // namespace symphony::protocol
