// ACK, ACK_RESULT, NACK, NACK_RESULT, TOUCH and TOUCH_RESULT bodies (protocol/settle.h): the
// properties of codec_check.h; batches over the limit (the frame's request id) are
// BATCH_TOO_LARGE; an id list's raw bytes are exactly 8 per id, inside the body, read in
// little-endian order.
#include "protocol/settle.h"

#include <vector>

#include "tests/fuzz/codec_check.h"

using namespace symphony::protocol;
using symphony::fuzz::Canonical;
using symphony::fuzz::inside;
using symphony::fuzz::Refusals;

namespace {

void check_ids(const IdList& ids, std::string_view body, uint32_t max_batch) {
  FUZZ_CHECK(ids.count <= max_batch);
  FUZZ_CHECK(inside(ids.raw, body));
  FUZZ_CHECK(ids.raw.size() == static_cast<size_t>(ids.count) * 8);
  for (uint32_t i = 0; i < ids.count; ++i) {
    uint64_t want = 0;
    for (int b = 7; b >= 0; --b) {
      want = (want << 8) | static_cast<uint8_t>(ids.raw[static_cast<size_t>(i) * 8 + b]);
    }
    FUZZ_CHECK(ids[i] == want);
  }
}

std::vector<uint64_t> to_vector(const IdList& ids) {
  std::vector<uint64_t> v;
  for (uint32_t i = 0; i < ids.count; ++i) v.push_back(ids[i]);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Frame frame;
  if (!symphony::fuzz::input_frame(symphony::fuzz::as_view(data, size), frame)) return 0;
  const uint32_t id = frame.request_id;
  const uint32_t max_batch = id;
  switch (frame.opcode) {
    case Opcode::kAck: {
      IdList ids;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kAck, Refusals::kBatchLimit, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_ack(b, max_batch, ids);
            if (st.ok()) check_ids(ids, b, max_batch);
            return st;
          },
          [&](std::string& out) {
            encode_ack(out, id, to_vector(ids), (frame.flags & kFlagConfirm) != 0);
          });
      break;
    }
    case Opcode::kAckResult: {
      AckResult r;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kAckResult, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_ack_result(b, r); },
          [&](std::string& out) { encode_ack_result(out, id, r); });
      break;
    }
    case Opcode::kNack: {
      std::vector<NackItem> items;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kNack, Refusals::kBatchLimit, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_nack(b, max_batch, items);
            if (st.ok()) {
              FUZZ_CHECK(items.size() <= max_batch);
              for (const NackItem& it : items) {
                FUZZ_CHECK(inside(it.error, b) && inside(it.error_class, b));
                FUZZ_CHECK(static_cast<uint8_t>(it.mode) <=
                           static_cast<uint8_t>(NackMode::kRelease));
              }
            }
            return st;
          },
          [&](std::string& out) { encode_nack(out, id, items); });
      break;
    }
    case Opcode::kNackResult: {
      std::vector<NackResultItem> items;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kNackResult, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_nack_result(b, items); },
          [&](std::string& out) { encode_nack_result(out, id, items); });
      break;
    }
    case Opcode::kTouch: {
      uint32_t extend_ms = 0;
      IdList ids;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kTouch, Refusals::kBatchLimit, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_touch(b, max_batch, extend_ms, ids);
            if (st.ok()) check_ids(ids, b, max_batch);
            return st;
          },
          [&](std::string& out) { encode_touch(out, id, extend_ms, to_vector(ids)); });
      break;
    }
    case Opcode::kTouchResult: {
      std::vector<TouchResultItem> items;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kTouchResult, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_touch_result(b, items); },
          [&](std::string& out) { encode_touch_result(out, id, items); });
      break;
    }
    default: break;
  }
  return 0;
}
