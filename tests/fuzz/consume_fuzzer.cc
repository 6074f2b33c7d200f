// SUBSCRIBE, SUBSCRIBED, CREDIT, CREDIT_OK and DELIVER bodies (protocol/consume.h): the
// properties of codec_check.h; SUBSCRIBE's queue limit (the low 16 bits of the request id) holds;
// DELIVER's views lie inside the body and its headers hold exactly their count.
#include "protocol/consume.h"

#include <vector>

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
    case Opcode::kSubscribe: {
      const auto max_queues = static_cast<uint16_t>(id & 0xFFFF);
      Subscribe s;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kSubscribe, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_subscribe(b, max_queues, s);
            if (st.ok()) {
              FUZZ_CHECK(s.queues.size() <= max_queues);
              for (std::string_view q : s.queues) FUZZ_CHECK(inside(q, b));
            }
            return st;
          },
          [&](std::string& out) { encode_subscribe(out, id, s); });
      break;
    }
    case Opcode::kSubscribed: {
      Subscribed s;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kSubscribed, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_subscribed(b, s); },
          [&](std::string& out) { encode_subscribed(out, id, s); });
      break;
    }
    case Opcode::kCredit: {
      uint32_t prefetch = 0;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kCredit, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_credit(b, prefetch); },
          [&](std::string& out) { encode_credit(out, id, prefetch); });
      break;
    }
    case Opcode::kCreditOk: {
      CreditOk c;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kCreditOk, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_credit_ok(b, c); },
          [&](std::string& out) { encode_credit_ok(out, id, c); });
      break;
    }
    case Opcode::kDeliver: {
      std::vector<DeliveryView> out;
      symphony::fuzz::check_decoder(frame.body, [&](std::string_view b) {
        const DecodeStatus st = decode_deliver(b, out);
        if (!st.ok()) return st;
        for (const DeliveryView& d : out) {
          FUZZ_CHECK(inside(d.head.queue, b) && inside(d.message.type, b) &&
                     inside(d.message.metadata, b) && inside(d.message.payload, b) &&
                     inside(d.message.headers.raw, b));
          uint16_t pairs = 0;
          d.message.headers.for_each([&](std::string_view k, std::string_view v) {
            FUZZ_CHECK(inside(k, d.message.headers.raw) && inside(v, d.message.headers.raw));
            ++pairs;
          });
          FUZZ_CHECK(pairs == d.message.headers.count);
        }
        return st;
      });
      break;
    }
    default: break;
  }
  return 0;
}
