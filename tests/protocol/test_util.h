#pragma once
// Helpers shared by the protocol codec tests.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "protocol/decode_status.h"
#include "protocol/error_code.h"
#include "protocol/frame.h"
#include "protocol/frame_decoder.h"
#include "protocol/opcode.h"

namespace symphony::protocol {

// Readable gtest output for the enums (found by ADL).
inline void PrintTo(Opcode op, std::ostream* os) {
  *os << opcode_name(op) << " (0x" << std::hex << static_cast<int>(op) << std::dec << ")";
}
inline void PrintTo(ErrorCode code, std::ostream* os) {
  *os << error_name(code) << " (" << static_cast<int>(code) << ")";
}
inline void PrintTo(FrameDecoder::Status s, std::ostream* os) {
  switch (s) {
    case FrameDecoder::Status::kComplete:
      *os << "kComplete";
      return;
    case FrameDecoder::Status::kNeedMore:
      *os << "kNeedMore";
      return;
    case FrameDecoder::Status::kMalformed:
      *os << "kMalformed";
      return;
  }
  *os << "Status(" << static_cast<int>(s) << ")";
}

namespace test {

// A heap copy of exactly `bytes.size()` bytes, so that AddressSanitizer flags any read past the
// end (a std::string would hide it behind its SSO buffer or spare capacity).
class ExactBuffer {
 public:
  explicit ExactBuffer(std::string_view bytes)
      : size_(bytes.size()), data_(new char[bytes.size() == 0 ? 1 : bytes.size()]) {
    if (size_ != 0) std::memcpy(data_.get(), bytes.data(), size_);
  }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  size_t size_;
  std::unique_ptr<char[]> data_;
};

// True when `v` is empty or lies entirely inside `buf`.
inline bool inside(std::string_view v, std::string_view buf) {
  if (v.empty()) return true;
  const auto b = reinterpret_cast<uintptr_t>(buf.data());
  const auto p = reinterpret_cast<uintptr_t>(v.data());
  return p >= b && p + v.size() <= b + buf.size();
}

// Decodes `wire`, which must hold exactly one complete frame, and checks its header fields.
inline Frame decode_single_frame(std::string_view wire, Opcode op, uint32_t request_id,
                                 uint8_t flags = 0) {
  const FrameDecoder decoder;
  const FrameDecoder::Result r = decoder.decode(wire);
  EXPECT_EQ(r.status, FrameDecoder::Status::kComplete);
  EXPECT_EQ(r.consumed, wire.size());
  EXPECT_EQ(r.frame.opcode, op);
  EXPECT_EQ(r.frame.request_id, request_id);
  EXPECT_EQ(r.frame.flags, flags);
  EXPECT_EQ(r.frame.body.size() + kFrameHeaderBytes, wire.size());
  EXPECT_EQ(r.frame.body.data(), wire.data() + kFrameHeaderBytes);
  return r.frame;
}

using BodyDecode = std::function<DecodeStatus(std::string_view)>;

// Every strict prefix of a valid body must be rejected as malformed.
inline void expect_every_truncation_fails(std::string_view body, const BodyDecode& decode) {
  for (size_t n = 0; n < body.size(); ++n) {
    const ExactBuffer buf(body.substr(0, n));
    const DecodeStatus st = decode(buf.view());
    EXPECT_FALSE(st.ok()) << "prefix of " << n << " of " << body.size() << " bytes decoded";
    EXPECT_EQ(st.code, ErrorCode::kMalformedFrame) << "prefix of " << n << " bytes";
  }
}

// A valid body followed by extra bytes must be rejected.
inline void expect_trailing_bytes_fail(std::string_view body, const BodyDecode& decode) {
  for (std::string_view extra : {std::string_view("\0", 1), std::string_view("xyz")}) {
    const std::string longer = std::string(body) + std::string(extra);
    const ExactBuffer buf(longer);
    const DecodeStatus st = decode(buf.view());
    EXPECT_FALSE(st.ok()) << extra.size() << " trailing bytes accepted";
    EXPECT_EQ(st.code, ErrorCode::kMalformedFrame);
  }
}

// Little-endian byte string builders for hand-made bodies.
inline void put_u8(std::string& s, uint8_t v) {
  s.push_back(static_cast<char>(v));
}
inline void put_u16(std::string& s, uint16_t v) {
  for (int i = 0; i < 2; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
inline void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
inline void put_u64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
inline void put_str16(std::string& s, std::string_view v) {
  put_u16(s, static_cast<uint16_t>(v.size()));
  s.append(v);
}

// A raw 12-byte frame header.
inline std::string frame_header(uint32_t body_len, uint8_t opcode, uint8_t flags, uint16_t reserved,
                                uint32_t request_id) {
  std::string h;
  put_u32(h, body_len);
  put_u8(h, opcode);
  put_u8(h, flags);
  put_u16(h, reserved);
  put_u32(h, request_id);
  return h;
}

}  // namespace test
}  // namespace symphony::protocol
