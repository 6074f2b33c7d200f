#include "protocol/consume.h"

#include <fmt/format.h>

#include "protocol/frame.h"
#include "protocol/wire.h"

namespace symphony::protocol {

namespace {
constexpr size_t kMinDeliveryBytes = 8 + 4 + 1 + 2 + 8 + 8 + 2 + 2 + 4 + 4;
}

void encode_subscribe(std::string& out, uint32_t request_id, const Subscribe& s) {
  FrameBuilder f(out, Opcode::kSubscribe, request_id);
  ByteWriter w(out);
  w.u16(static_cast<uint16_t>(s.queues.size()));
  for (std::string_view q : s.queues) w.str16(q);
  w.u32(s.prefetch);
  w.u32(s.lease_ms);
  f.finish();
}

DecodeStatus decode_subscribe(std::string_view body, uint16_t max_queues, Subscribe& out) {
  ByteReader r(body);
  const uint16_t n = r.u16();
  if (!r.ok() || n > max_queues || static_cast<size_t>(n) * 2 > r.remaining()) {
    return DecodeStatus::malformed("SUBSCRIBE queue count does not fit or exceeds the limit");
  }
  out.queues.clear();
  out.queues.reserve(n);
  for (uint16_t i = 0; i < n; ++i) out.queues.push_back(r.str16());
  out.prefetch = r.u32();
  out.lease_ms = r.u32();
  if (!r.at_end()) return DecodeStatus::malformed("SUBSCRIBE body does not match its layout");
  return {};
}

void encode_subscribed(std::string& out, uint32_t request_id, const Subscribed& s) {
  FrameBuilder f(out, Opcode::kSubscribed, request_id);
  ByteWriter w(out);
  w.u32(s.prefetch);
  w.u32(s.lease_ms);
  f.finish();
}

DecodeStatus decode_subscribed(std::string_view body, Subscribed& out) {
  ByteReader r(body);
  out.prefetch = r.u32();
  out.lease_ms = r.u32();
  if (!r.at_end()) return DecodeStatus::malformed("SUBSCRIBED body does not match its layout");
  return {};
}

void encode_credit(std::string& out, uint32_t request_id, uint32_t prefetch) {
  FrameBuilder f(out, Opcode::kCredit, request_id);
  ByteWriter(out).u32(prefetch);
  f.finish();
}

DecodeStatus decode_credit(std::string_view body, uint32_t& prefetch) {
  ByteReader r(body);
  prefetch = r.u32();
  if (!r.at_end()) return DecodeStatus::malformed("CREDIT body does not match its layout");
  return {};
}

void encode_credit_ok(std::string& out, uint32_t request_id, const CreditOk& c) {
  FrameBuilder f(out, Opcode::kCreditOk, request_id);
  ByteWriter w(out);
  w.u32(c.prefetch);
  w.u32(c.in_flight);
  f.finish();
}

DecodeStatus decode_credit_ok(std::string_view body, CreditOk& out) {
  ByteReader r(body);
  out.prefetch = r.u32();
  out.in_flight = r.u32();
  if (!r.at_end()) return DecodeStatus::malformed("CREDIT_OK body does not match its layout");
  return {};
}

DeliverWriter::DeliverWriter(std::string& out) : out_(out), frame_start_(out.size()) {
  FrameBuilder f(out_, Opcode::kDeliver, 0);
  count_offset_ = out_.size();
  ByteWriter(out_).u32(0);
}

void DeliverWriter::add(const DeliveryHead& head, const MessageBodyView& m) {
  ByteWriter w(out_);
  w.u64(head.message_id);
  w.u32(head.attempt);
  w.u8(head.priority);
  w.str16(head.queue);
  w.i64(head.created_at_ms);
  w.i64(head.lease_deadline_ms);
  w.str16(m.type);
  w.u16(static_cast<uint16_t>(m.headers.count + kAutomaticHeaderCount));
  w.str16(kHeaderMessageType);
  w.str16(m.type);
  char id_buf[24];
  const auto id_end = fmt::format_to(id_buf, "{}", head.message_id);
  w.str16(kHeaderMessageId);
  w.str16(std::string_view(id_buf, static_cast<size_t>(id_end - id_buf)));
  w.str16(kHeaderDispatchedAt);
  char at_buf[kIso8601MsMaxBytes];
  w.str16(std::string_view(at_buf, format_iso8601_ms_to(head.created_at_ms, at_buf)));
  w.raw(m.headers.raw);
  w.blob32(m.metadata);
  w.blob32(m.payload);
  ++count_;
}

void DeliverWriter::finish() {
  patch_u32(out_, count_offset_, count_);
  patch_u32(out_, frame_start_,
            static_cast<uint32_t>(out_.size() - frame_start_ - kFrameHeaderBytes));
}

DecodeStatus decode_deliver(std::string_view body, std::vector<DeliveryView>& out) {
  out.clear();
  ByteReader r(body);
  const uint32_t count = r.u32();
  if (!r.ok() || count > r.remaining() / kMinDeliveryBytes) {
    return DecodeStatus::malformed("DELIVER count does not fit in the body");
  }
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    DeliveryView d;
    d.head.message_id = r.u64();
    d.head.attempt = r.u32();
    d.head.priority = r.u8();
    d.head.queue = r.str16();
    d.head.created_at_ms = r.i64();
    d.head.lease_deadline_ms = r.i64();
    d.message.type = r.str16();
    read_headers(r, d.message.headers);
    d.message.metadata = r.blob32();
    d.message.payload = r.blob32();
    if (!r.ok()) return DecodeStatus::malformed("DELIVER entry overruns the body");
    out.push_back(d);
  }
  if (!r.at_end()) return DecodeStatus::malformed("DELIVER body has trailing bytes");
  return {};
}

}  // namespace symphony::protocol
