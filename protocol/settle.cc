#include "protocol/settle.h"

#include "protocol/frame.h"
#include "protocol/wire.h"

namespace symphony::protocol {

namespace {

void write_ids(ByteWriter& w, std::span<const uint64_t> ids) {
  w.u32(static_cast<uint32_t>(ids.size()));
  for (uint64_t id : ids) w.u64(id);
}

DecodeStatus read_ids(ByteReader& r, uint32_t max_batch, IdList& out, const char* what) {
  out.count = r.u32();
  if (!r.ok()) return DecodeStatus::malformed(what);
  if (out.count > max_batch) return {ErrorCode::kBatchTooLarge, "id batch exceeds max_batch"};
  if (out.count > r.remaining() / 8) return DecodeStatus::malformed(what);
  out.raw = r.bytes(static_cast<size_t>(out.count) * 8);
  return {};
}

}  // namespace

void encode_ack(std::string& out, uint32_t request_id, std::span<const uint64_t> ids,
                bool confirm) {
  FrameBuilder f(out, Opcode::kAck, request_id, confirm ? kFlagConfirm : 0);
  ByteWriter w(out);
  write_ids(w, ids);
  f.finish();
}

DecodeStatus decode_ack(std::string_view body, uint32_t max_batch, IdList& out) {
  ByteReader r(body);
  DecodeStatus st = read_ids(r, max_batch, out, "ACK id list does not fit in the body");
  if (!st.ok()) return st;
  if (!r.at_end()) return DecodeStatus::malformed("ACK body has trailing bytes");
  return {};
}

void encode_ack_result(std::string& out, uint32_t request_id, const AckResult& res) {
  FrameBuilder f(out, Opcode::kAckResult, request_id);
  ByteWriter w(out);
  w.u32(res.acked);
  w.u32(static_cast<uint32_t>(res.failures.size()));
  for (const AckFailure& fail : res.failures) {
    w.u64(fail.message_id);
    w.u16(static_cast<uint16_t>(fail.code));
  }
  f.finish();
}

DecodeStatus decode_ack_result(std::string_view body, AckResult& out) {
  ByteReader r(body);
  out.acked = r.u32();
  const uint32_t n = r.u32();
  if (!r.ok() || n > r.remaining() / 10) {
    return DecodeStatus::malformed("ACK_RESULT failure count does not fit in the body");
  }
  out.failures.clear();
  out.failures.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    AckFailure fail;
    fail.message_id = r.u64();
    fail.code = static_cast<ErrorCode>(r.u16());
    out.failures.push_back(fail);
  }
  if (!r.at_end()) return DecodeStatus::malformed("ACK_RESULT body has trailing bytes");
  return {};
}

void encode_nack(std::string& out, uint32_t request_id, std::span<const NackItem> items) {
  FrameBuilder f(out, Opcode::kNack, request_id);
  ByteWriter w(out);
  w.u32(static_cast<uint32_t>(items.size()));
  for (const NackItem& it : items) {
    w.u64(it.message_id);
    w.u8(static_cast<uint8_t>(it.mode));
    w.str16(it.error);
    w.str16(it.error_class);
  }
  f.finish();
}

DecodeStatus decode_nack(std::string_view body, uint32_t max_batch, std::vector<NackItem>& out) {
  out.clear();
  ByteReader r(body);
  const uint32_t count = r.u32();
  if (!r.ok()) return DecodeStatus::malformed("NACK body too short for its count");
  if (count > max_batch) return {ErrorCode::kBatchTooLarge, "NACK batch exceeds max_batch"};
  if (count > r.remaining() / 13) return DecodeStatus::malformed("NACK count does not fit");
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    NackItem it;
    it.message_id = r.u64();
    const uint8_t mode = r.u8();
    it.error = r.str16();
    it.error_class = r.str16();
    if (!r.ok()) return DecodeStatus::malformed("NACK entry overruns the body");
    if (mode > static_cast<uint8_t>(NackMode::kRelease)) {
      return DecodeStatus::malformed("NACK has an unknown mode");
    }
    it.mode = static_cast<NackMode>(mode);
    out.push_back(it);
  }
  if (!r.at_end()) return DecodeStatus::malformed("NACK body has trailing bytes");
  return {};
}

void encode_nack_result(std::string& out, uint32_t request_id,
                        std::span<const NackResultItem> items) {
  FrameBuilder f(out, Opcode::kNackResult, request_id);
  ByteWriter w(out);
  w.u32(static_cast<uint32_t>(items.size()));
  for (const NackResultItem& it : items) {
    w.u64(it.message_id);
    w.u16(static_cast<uint16_t>(it.code));
    w.u8(static_cast<uint8_t>(it.outcome));
    w.i64(it.available_at_ms);
  }
  f.finish();
}

DecodeStatus decode_nack_result(std::string_view body, std::vector<NackResultItem>& out) {
  out.clear();
  ByteReader r(body);
  const uint32_t count = r.u32();
  if (!r.ok() || count > r.remaining() / 19) {
    return DecodeStatus::malformed("NACK_RESULT count does not fit in the body");
  }
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    NackResultItem it;
    it.message_id = r.u64();
    it.code = static_cast<ErrorCode>(r.u16());
    const uint8_t outcome = r.u8();
    it.available_at_ms = r.i64();
    if (outcome > static_cast<uint8_t>(NackOutcome::kReleased)) {
      return DecodeStatus::malformed("NACK_RESULT has an unknown outcome");
    }
    it.outcome = static_cast<NackOutcome>(outcome);
    out.push_back(it);
  }
  if (!r.at_end()) return DecodeStatus::malformed("NACK_RESULT body has trailing bytes");
  return {};
}

void encode_touch(std::string& out, uint32_t request_id, uint32_t extend_ms,
                  std::span<const uint64_t> ids) {
  FrameBuilder f(out, Opcode::kTouch, request_id);
  ByteWriter w(out);
  w.u32(extend_ms);
  write_ids(w, ids);
  f.finish();
}

DecodeStatus decode_touch(std::string_view body, uint32_t max_batch, uint32_t& extend_ms,
                          IdList& out) {
  ByteReader r(body);
  extend_ms = r.u32();
  DecodeStatus st = read_ids(r, max_batch, out, "TOUCH id list does not fit in the body");
  if (!st.ok()) return st;
  if (!r.at_end()) return DecodeStatus::malformed("TOUCH body has trailing bytes");
  return {};
}

void encode_touch_result(std::string& out, uint32_t request_id,
                         std::span<const TouchResultItem> items) {
  FrameBuilder f(out, Opcode::kTouchResult, request_id);
  ByteWriter w(out);
  w.u32(static_cast<uint32_t>(items.size()));
  for (const TouchResultItem& it : items) {
    w.u64(it.message_id);
    w.u16(static_cast<uint16_t>(it.code));
    w.i64(it.lease_deadline_ms);
  }
  f.finish();
}

DecodeStatus decode_touch_result(std::string_view body, std::vector<TouchResultItem>& out) {
  out.clear();
  ByteReader r(body);
  const uint32_t count = r.u32();
  if (!r.ok() || count > r.remaining() / 18) {
    return DecodeStatus::malformed("TOUCH_RESULT count does not fit in the body");
  }
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    TouchResultItem it;
    it.message_id = r.u64();
    it.code = static_cast<ErrorCode>(r.u16());
    it.lease_deadline_ms = r.i64();
    out.push_back(it);
  }
  if (!r.at_end()) return DecodeStatus::malformed("TOUCH_RESULT body has trailing bytes");
  return {};
}

}  // namespace symphony::protocol
