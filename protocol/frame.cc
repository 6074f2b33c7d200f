#include "protocol/frame.h"

#include <fmt/format.h>

#include "protocol/frame_decoder.h"
#include "protocol/wire.h"

namespace symphony::protocol {

FrameBuilder::FrameBuilder(std::string& out, Opcode op, uint32_t request_id, uint8_t flags)
    : out_(out), start_(out.size()) {
  ByteWriter w(out_);
  w.u32(0);  // body length, patched by finish()
  w.u8(static_cast<uint8_t>(op));
  w.u8(flags);
  w.u16(0);
  w.u32(request_id);
}

void FrameBuilder::finish() {
  patch_u32(out_, start_, static_cast<uint32_t>(out_.size() - start_ - kFrameHeaderBytes));
}

std::string describe(const Frame& frame) {
  return fmt::format("{} id={} flags=0x{:02x} body={}B", opcode_name(frame.opcode),
                     frame.request_id, frame.flags, frame.body.size());
}

FrameDecoder::FrameDecoder(uint32_t max_body_bytes)
    : max_body_bytes_(max_body_bytes < kHardMaxFrameBytes ? max_body_bytes : kHardMaxFrameBytes) {}

FrameDecoder FrameDecoder::before_hello() {
  FrameDecoder d(kMaxHelloBodyBytes);
  d.hello_only_ = true;
  return d;
}

FrameDecoder::Result FrameDecoder::decode(std::string_view input) const {
  Result r;
  if (input.size() < kFrameHeaderBytes) return r;  // kNeedMore
  ByteReader h(input.substr(0, kFrameHeaderBytes));
  const uint32_t body_len = h.u32();
  const uint8_t raw_op = h.u8();
  const uint8_t flags = h.u8();
  const uint16_t reserved = h.u16();
  r.request_id = h.u32();
  auto malformed = [&](ErrorCode code, const char* what) {
    r.status = Status::kMalformed;
    r.error = code;
    r.what = what;
    return r;
  };
  static_assert(kMaxHelloBodyBytes == 4096, "the message below names the limit");
  if (hello_only_) {
    if (raw_op != static_cast<uint8_t>(Opcode::kHello)) {
      return malformed(ErrorCode::kHelloRequired, "the first frame on a connection must be HELLO");
    }
    if (body_len > max_body_bytes_) {
      return malformed(ErrorCode::kFrameTooLarge, "a HELLO body is limited to 4096 bytes");
    }
  }
  if (body_len > max_body_bytes_) {
    return malformed(ErrorCode::kFrameTooLarge, "frame body length exceeds the limit");
  }
  const auto op = to_opcode(raw_op);
  if (!op) return malformed(ErrorCode::kUnknownOpcode, "unknown opcode");
  if (reserved != 0) return malformed(ErrorCode::kMalformedFrame, "reserved header bits are set");
  if (input.size() - kFrameHeaderBytes < body_len) {
    r.needed = kFrameHeaderBytes + body_len;
    return r;  // kNeedMore
  }
  r.status = Status::kComplete;
  r.consumed = kFrameHeaderBytes + body_len;
  r.frame = Frame{*op, flags, r.request_id, input.substr(kFrameHeaderBytes, body_len)};
  return r;
}

}  // namespace symphony::protocol
