#include "protocol/handshake.h"

#include "protocol/frame.h"
#include "protocol/wire.h"

namespace symphony::protocol {

void encode_hello(std::string& out, uint32_t request_id, const Hello& hello) {
  FrameBuilder f(out, Opcode::kHello, request_id);
  ByteWriter w(out);
  w.u16(hello.version);
  w.str16(hello.client_name);
  w.str16(hello.auth_token);
  f.finish();
}

DecodeStatus decode_hello(std::string_view body, Hello& out) {
  ByteReader r(body);
  out.version = r.u16();
  out.client_name = r.str16();
  out.auth_token = r.str16();
  if (!r.at_end()) return DecodeStatus::malformed("HELLO body does not match its layout");
  return {};
}

void encode_welcome(std::string& out, uint32_t request_id, const Welcome& welcome) {
  FrameBuilder f(out, Opcode::kWelcome, request_id);
  ByteWriter w(out);
  w.u16(welcome.version);
  w.str16(welcome.server_name);
  w.u64(welcome.session_id);
  w.u32(welcome.limits.max_frame_bytes);
  w.u32(welcome.limits.max_batch);
  w.u32(welcome.limits.max_payload_bytes);
  w.u32(welcome.limits.max_metadata_bytes);
  w.u16(welcome.limits.max_headers);
  w.u16(welcome.limits.max_type_bytes);
  f.finish();
}

DecodeStatus decode_welcome(std::string_view body, Welcome& out) {
  ByteReader r(body);
  out.version = r.u16();
  out.server_name = r.str16();
  out.session_id = r.u64();
  out.limits.max_frame_bytes = r.u32();
  out.limits.max_batch = r.u32();
  out.limits.max_payload_bytes = r.u32();
  out.limits.max_metadata_bytes = r.u32();
  out.limits.max_headers = r.u16();
  out.limits.max_type_bytes = r.u16();
  if (!r.at_end()) return DecodeStatus::malformed("WELCOME body does not match its layout");
  return {};
}

}  // namespace symphony::protocol
