// HELLO and WELCOME bodies (protocol/handshake.h): the properties of codec_check.h, and every
// decoded string is a view into the body.
#include "protocol/handshake.h"

#include "tests/fuzz/codec_check.h"

using namespace symphony::protocol;
using symphony::fuzz::Canonical;
using symphony::fuzz::inside;
using symphony::fuzz::Refusals;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Frame frame;
  if (!symphony::fuzz::input_frame(symphony::fuzz::as_view(data, size), frame)) return 0;
  const uint32_t id = frame.request_id;
  switch (frame.opcode) {
    case Opcode::kHello: {
      Hello h;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kHello, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_hello(b, h);
            if (st.ok()) {
              FUZZ_CHECK(inside(h.client_name, b) && inside(h.auth_token, b));
            }
            return st;
          },
          [&](std::string& out) { encode_hello(out, id, h); });
      break;
    }
    case Opcode::kWelcome: {
      Welcome w;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kWelcome, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_welcome(b, w);
            if (st.ok()) FUZZ_CHECK(inside(w.server_name, b));
            return st;
          },
          [&](std::string& out) { encode_welcome(out, id, w); });
      break;
    }
    default: break;
  }
  return 0;
}
