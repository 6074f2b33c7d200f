// DISPATCH and DISPATCH_RESULT bodies (protocol/dispatch.h): the properties of codec_check.h; a
// batch over the limit (the frame's request id) is BATCH_TOO_LARGE, an accepted one is within
// it; every view lies inside the body; every message's headers hold exactly their count.
#include "protocol/dispatch.h"

#include <cstring>
#include <vector>

#include "tests/fuzz/codec_check.h"

using namespace symphony::protocol;
using symphony::fuzz::Canonical;
using symphony::fuzz::inside;
using symphony::fuzz::Refusals;

namespace {

void check_headers(const HeadersView& h, std::string_view body) {
  FUZZ_CHECK(inside(h.raw, body));
  ByteReader r(h.raw);
  for (uint16_t i = 0; i < h.count; ++i) {
    FUZZ_CHECK(inside(r.str16(), h.raw));
    FUZZ_CHECK(inside(r.str16(), h.raw));
  }
  FUZZ_CHECK(r.at_end(), "the header bytes hold exactly `count` pairs");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Frame frame;
  if (!symphony::fuzz::input_frame(symphony::fuzz::as_view(data, size), frame)) return 0;
  const uint32_t id = frame.request_id;
  switch (frame.opcode) {
    case Opcode::kDispatch: {
      const uint32_t max_batch = id;
      std::vector<DispatchMessage> batch;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kDispatch, Refusals::kBatchLimit, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_dispatch(b, max_batch, batch);
            if (st.code == ErrorCode::kBatchTooLarge) {
              FUZZ_CHECK(b.size() >= 4);
              uint32_t count = 0;
              std::memcpy(&count, b.data(), 4);
              FUZZ_CHECK(count > max_batch, "BATCH_TOO_LARGE only over the limit");
            }
            if (!st.ok()) return st;
            FUZZ_CHECK(batch.size() <= max_batch);
            for (const DispatchMessage& m : batch) {
              FUZZ_CHECK(inside(m.type, b) && inside(m.payload, b) && inside(m.metadata, b) &&
                         inside(m.queue, b) && inside(m.idempotency_key, b));
              check_headers(m.headers, b);
              FUZZ_CHECK(static_cast<uint8_t>(m.when) <= static_cast<uint8_t>(When::kAtUnixMs));
            }
            return st;
          },
          [&](std::string& out) { encode_dispatch(out, id, batch); });
      break;
    }
    case Opcode::kDispatchResult: {
      std::vector<DispatchResult> results;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kDispatchResult, Refusals::kMalformedOnly, Canonical::kNo,
          [&](std::string_view b) {
            const DecodeStatus st = decode_dispatch_result(b, results);
            if (st.ok()) {
              for (const DispatchResult& r : results) {
                FUZZ_CHECK(inside(r.queue, b));
                FUZZ_CHECK(static_cast<uint8_t>(r.status) <=
                           static_cast<uint8_t>(EnvelopeStatus::kFailed));
              }
            }
            return st;
          },
          [&](std::string& out) { encode_dispatch_result(out, id, results); });
      break;
    }
    default: break;
  }
  return 0;
}
