// PING, PONG, ERROR and GOAWAY bodies (protocol/control.h): the properties of codec_check.h, and
// the message is a view into the body. An ERROR may carry any code, known or not: a client
// names unknown ones UNKNOWN_ERROR instead of failing.
#include "protocol/control.h"

#include "protocol/error_code.h"
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
    case Opcode::kPing: {
      uint64_t nonce = 0;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kPing, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_ping(b, nonce); },
          [&](std::string& out) { encode_ping(out, id, nonce); });
      break;
    }
    case Opcode::kPong: {
      Pong p;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kPong, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_pong(b, p); },
          [&](std::string& out) { encode_pong(out, id, p); });
      break;
    }
    case Opcode::kError:
    case Opcode::kGoaway: {
      const bool error = frame.opcode == Opcode::kError;
      ErrorFrame e;
      const bool ok = symphony::fuzz::check_codec(
          frame.body, frame.opcode, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = error ? decode_error(b, e) : decode_goaway(b, e);
            if (st.ok()) FUZZ_CHECK(inside(e.message, b));
            return st;
          },
          [&](std::string& out) {
            if (error) {
              encode_error(out, id, e.code, e.message);
            } else {
              encode_goaway(out, e.code, e.message);
            }
          });
      if (ok) {
        // every code has a name and a category, known or not (the hundreds digit)
        const auto raw = static_cast<uint16_t>(e.code);
        FUZZ_CHECK(!error_name(e.code).empty());
        FUZZ_CHECK(!category_name(error_category(e.code)).empty());
        if (is_known_error(raw) && raw >= 100 && raw < 600) {
          FUZZ_CHECK(static_cast<int>(error_category(e.code)) == raw / 100);
        }
      }
      break;
    }
    default: break;
  }
  return 0;
}
