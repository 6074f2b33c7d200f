#pragma once
// The stored form of a message: what a producer sent, in one contiguous blob that the broker keeps
// in memory, writes to the log once, and copies into DELIVER frames without re-encoding.
//
// MessageBody := u16 type_len, type, u16 header_count, u32 header_bytes, header pairs,
//                u32 metadata_len, metadata, u32 payload_len, payload
//
// Headers the broker adds itself (message-type, message-id, dispatched-at) are not stored: they
// are derived from the envelope when a DELIVER is written.
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/headers.h"
#include "protocol/time_text.h"

namespace symphony::protocol {

inline constexpr std::string_view kHeaderMessageType = "message-type";
inline constexpr std::string_view kHeaderMessageId = "message-id";
inline constexpr std::string_view kHeaderDispatchedAt = "dispatched-at";
inline constexpr uint16_t kAutomaticHeaderCount = 3;
/// True for header names the broker sets itself (a producer may not set them).
bool is_automatic_header(std::string_view key);

struct MessageBodyView {
  std::string_view type;
  HeadersView headers;
  std::string_view metadata;
  std::string_view payload;
};

/// Bytes write_message_body() writes. The validator keeps the type under 64 KiB and the other
/// parts under 4 GiB, which the length prefixes need.
size_t message_body_size(const MessageBodyView& m);
/// Writes exactly message_body_size(m) bytes at `out`.
void write_message_body(char* out, const MessageBodyView& m);
void append_message_body(std::string& out, const MessageBodyView& m);
/// False when `blob` is not a well-formed MessageBody (a damaged log record, say).
bool parse_message_body(std::string_view blob, MessageBodyView& out);

}  // namespace symphony::protocol
