#include "protocol/queue_admin.h"

#include "protocol/frame.h"
#include "protocol/wire.h"

namespace symphony::protocol {

void encode_queue_purge(std::string& out, uint32_t request_id, std::string_view queue) {
  FrameBuilder f(out, Opcode::kQueuePurge, request_id);
  ByteWriter(out).str16(queue);
  f.finish();
}

DecodeStatus decode_queue_purge(std::string_view body, std::string_view& queue) {
  ByteReader r(body);
  queue = r.str16();
  if (!r.at_end()) return DecodeStatus::malformed("QUEUE_PURGE body does not match its layout");
  return {};
}

void encode_queue_purge_result(std::string& out, uint32_t request_id, uint64_t removed) {
  FrameBuilder f(out, Opcode::kQueuePurgeResult, request_id);
  ByteWriter(out).u64(removed);
  f.finish();
}

DecodeStatus decode_queue_purge_result(std::string_view body, uint64_t& removed) {
  ByteReader r(body);
  removed = r.u64();
  if (!r.at_end()) return DecodeStatus::malformed("QUEUE_PURGE_RESULT does not match its layout");
  return {};
}

void encode_message_status(std::string& out, uint32_t request_id, std::span<const uint64_t> ids) {
  FrameBuilder f(out, Opcode::kMessageStatus, request_id);
  ByteWriter w(out);
  w.u32(static_cast<uint32_t>(ids.size()));
  for (uint64_t id : ids) w.u64(id);
  f.finish();
}

DecodeStatus decode_message_status(std::string_view body, uint32_t max_batch, IdList& ids) {
  // same layout as ACK
  return decode_ack(body, max_batch, ids);
}

void encode_message_status_result(std::string& out, uint32_t request_id,
                                  std::span<const MessageStatusItem> items) {
  FrameBuilder f(out, Opcode::kMessageStatusResult, request_id);
  ByteWriter w(out);
  w.u32(static_cast<uint32_t>(items.size()));
  for (const MessageStatusItem& it : items) {
    w.u64(it.id);
    w.u16(static_cast<uint16_t>(it.code));
    w.u8(static_cast<uint8_t>(it.status));
    w.str16(it.queue);
    w.u32(it.attempts);
    w.i64(it.at_ms);
  }
  f.finish();
}

DecodeStatus decode_message_status_result(std::string_view body,
                                          std::vector<MessageStatusItem>& out) {
  ByteReader r(body);
  const uint32_t n = r.u32();
  if (!r.ok() || n > r.remaining() / 25) {
    return DecodeStatus::malformed("MESSAGE_STATUS_RESULT count does not fit in the body");
  }
  out.assign(n, {});
  for (MessageStatusItem& it : out) {
    it.id = r.u64();
    it.code = static_cast<ErrorCode>(r.u16());
    const uint8_t status = r.u8();
    it.queue = std::string(r.str16());
    it.attempts = r.u32();
    it.at_ms = r.i64();
    if (status > static_cast<uint8_t>(EnvelopeStatus::kFailed)) {
      return DecodeStatus::malformed("MESSAGE_STATUS_RESULT has an unknown status");
    }
    it.status = static_cast<EnvelopeStatus>(status);
  }
  if (!r.at_end())
    return DecodeStatus::malformed("MESSAGE_STATUS_RESULT does not match its layout");
  return {};
}

}  // namespace symphony::protocol
