#include "protocol/control.h"

#include "protocol/frame.h"
#include "protocol/wire.h"

namespace symphony::protocol {

namespace {

void encode_code_text(std::string& out, Opcode op, uint32_t request_id, ErrorCode code,
                      std::string_view text) {
  FrameBuilder f(out, op, request_id);
  ByteWriter w(out);
  w.u16(static_cast<uint16_t>(code));
  w.str16(text.substr(0, UINT16_MAX));
  f.finish();
}

DecodeStatus decode_code_text(std::string_view body, ErrorFrame& out, const char* what) {
  ByteReader r(body);
  out.code = static_cast<ErrorCode>(r.u16());
  out.message = r.str16();
  if (!r.at_end()) return DecodeStatus::malformed(what);
  return {};
}

}  // namespace

void encode_ping(std::string& out, uint32_t request_id, uint64_t nonce) {
  FrameBuilder f(out, Opcode::kPing, request_id);
  ByteWriter(out).u64(nonce);
  f.finish();
}

DecodeStatus decode_ping(std::string_view body, uint64_t& nonce) {
  ByteReader r(body);
  nonce = r.u64();
  if (!r.at_end()) return DecodeStatus::malformed("PING body does not match its layout");
  return {};
}

void encode_pong(std::string& out, uint32_t request_id, const Pong& p) {
  FrameBuilder f(out, Opcode::kPong, request_id);
  ByteWriter w(out);
  w.u64(p.nonce);
  w.i64(p.server_time_ms);
  f.finish();
}

DecodeStatus decode_pong(std::string_view body, Pong& out) {
  ByteReader r(body);
  out.nonce = r.u64();
  out.server_time_ms = r.i64();
  if (!r.at_end()) return DecodeStatus::malformed("PONG body does not match its layout");
  return {};
}

void encode_error(std::string& out, uint32_t request_id, ErrorCode code, std::string_view message) {
  encode_code_text(out, Opcode::kError, request_id, code, message);
}

DecodeStatus decode_error(std::string_view body, ErrorFrame& out) {
  return decode_code_text(body, out, "ERROR body does not match its layout");
}

void encode_goaway(std::string& out, ErrorCode code, std::string_view reason) {
  encode_code_text(out, Opcode::kGoaway, 0, code, reason);
}

DecodeStatus decode_goaway(std::string_view body, ErrorFrame& out) {
  return decode_code_text(body, out, "GOAWAY body does not match its layout");
}

}  // namespace symphony::protocol
