#include "protocol/dispatch.h"

#include "protocol/frame.h"

namespace symphony::protocol {

namespace {
// Smallest encodings, used to reject counts that cannot fit before reserving anything.
constexpr size_t kMinMessageBytes = 2 + 4 + 4 + 2 + 2 + 1 + 1 + 8 + 2;
constexpr size_t kMinResultBytes = 4 + 2 + 8 + 2 + 1 + 1 + 2;
}  // namespace

std::string_view status_name(EnvelopeStatus status) {
  switch (status) {
    case EnvelopeStatus::kPending: return "pending";
    case EnvelopeStatus::kProcessing: return "processing";
    case EnvelopeStatus::kCompleted: return "completed";
    case EnvelopeStatus::kFailed: return "failed";
  }
  return "pending";
}

void encode_dispatch(std::string& out, uint32_t request_id,
                     std::span<const DispatchMessage> batch) {
  FrameBuilder f(out, Opcode::kDispatch, request_id);
  ByteWriter w(out);
  w.u32(static_cast<uint32_t>(batch.size()));
  for (const DispatchMessage& m : batch) {
    w.str16(m.type);
    w.blob32(m.payload);
    w.blob32(m.metadata);
    write_headers(w, m.headers);
    w.str16(m.queue);
    w.u8(m.priority);
    w.u8(static_cast<uint8_t>(m.when));
    w.i64(m.when_value);
    w.str16(m.idempotency_key);
  }
  f.finish();
}

DecodeStatus decode_dispatch(std::string_view body, uint32_t max_batch,
                             std::vector<DispatchMessage>& out) {
  out.clear();
  ByteReader r(body);
  const uint32_t count = r.u32();
  if (!r.ok()) return DecodeStatus::malformed("DISPATCH body too short for its count");
  if (count > max_batch) return {ErrorCode::kBatchTooLarge, "DISPATCH batch exceeds max_batch"};
  if (count > r.remaining() / kMinMessageBytes) {
    return DecodeStatus::malformed("DISPATCH count does not fit in the body");
  }
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    DispatchMessage m;
    m.type = r.str16();
    m.payload = r.blob32();
    m.metadata = r.blob32();
    read_headers(r, m.headers);
    m.queue = r.str16();
    m.priority = r.u8();
    const uint8_t when = r.u8();
    m.when_value = r.i64();
    m.idempotency_key = r.str16();
    if (!r.ok()) return DecodeStatus::malformed("DISPATCH message overruns the body");
    if (when > static_cast<uint8_t>(When::kAtUnixMs)) {
      return DecodeStatus::malformed("DISPATCH message has an unknown 'when' kind");
    }
    m.when = static_cast<When>(when);
    out.push_back(m);
  }
  if (!r.at_end()) return DecodeStatus::malformed("DISPATCH body has trailing bytes");
  return {};
}

void encode_dispatch_result(std::string& out, uint32_t request_id,
                            std::span<const DispatchResult> results) {
  FrameBuilder f(out, Opcode::kDispatchResult, request_id);
  ByteWriter w(out);
  w.u32(static_cast<uint32_t>(results.size()));
  for (const DispatchResult& res : results) {
    w.u32(res.index);
    w.u16(static_cast<uint16_t>(res.code));
    w.u64(res.message_id);
    w.str16(res.queue);
    w.u8(res.duplicate ? 1 : 0);
    w.u8(static_cast<uint8_t>(res.status));
    w.str16(res.error);
  }
  f.finish();
}

DecodeStatus decode_dispatch_result(std::string_view body, std::vector<DispatchResult>& out) {
  out.clear();
  ByteReader r(body);
  const uint32_t count = r.u32();
  if (!r.ok() || count > r.remaining() / kMinResultBytes) {
    return DecodeStatus::malformed("DISPATCH_RESULT count does not fit in the body");
  }
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    DispatchResult res;
    res.index = r.u32();
    res.code = static_cast<ErrorCode>(r.u16());
    res.message_id = r.u64();
    res.queue = r.str16();
    res.duplicate = r.u8() != 0;
    const uint8_t status = r.u8();
    res.error = std::string(r.str16());
    if (!r.ok()) return DecodeStatus::malformed("DISPATCH_RESULT entry overruns the body");
    if (status > static_cast<uint8_t>(EnvelopeStatus::kFailed)) {
      return DecodeStatus::malformed("DISPATCH_RESULT has an unknown status");
    }
    res.status = static_cast<EnvelopeStatus>(status);
    out.push_back(std::move(res));
  }
  if (!r.at_end()) return DecodeStatus::malformed("DISPATCH_RESULT body has trailing bytes");
  return {};
}

}  // namespace symphony::protocol
