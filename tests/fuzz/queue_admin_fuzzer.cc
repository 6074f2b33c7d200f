// QUEUE_PURGE, MESSAGE_STATUS and their results (protocol/queue_admin.h): the properties of
// codec_check.h; MESSAGE_STATUS keeps to its limit (the frame's request id); views lie inside
// the body; a decoded status is one of the four.
#include "protocol/queue_admin.h"

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
    case Opcode::kQueuePurge: {
      std::string_view queue;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kQueuePurge, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_queue_purge(b, queue);
            if (st.ok()) FUZZ_CHECK(inside(queue, b));
            return st;
          },
          [&](std::string& out) { encode_queue_purge(out, id, queue); });
      break;
    }
    case Opcode::kQueuePurgeResult: {
      uint64_t removed = 0;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kQueuePurgeResult, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_queue_purge_result(b, removed); },
          [&](std::string& out) { encode_queue_purge_result(out, id, removed); });
      break;
    }
    case Opcode::kMessageStatus: {
      IdList ids;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kMessageStatus, Refusals::kBatchLimit, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_message_status(b, id, ids);
            if (st.ok()) {
              FUZZ_CHECK(ids.count <= id && inside(ids.raw, b));
              FUZZ_CHECK(ids.raw.size() == static_cast<size_t>(ids.count) * 8);
            }
            return st;
          },
          [&](std::string& out) {
            std::vector<uint64_t> v;
            for (uint32_t i = 0; i < ids.count; ++i) v.push_back(ids[i]);
            encode_message_status(out, id, v);
          });
      break;
    }
    case Opcode::kMessageStatusResult: {
      std::vector<MessageStatusItem> items;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kMessageStatusResult, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_message_status_result(b, items);
            if (st.ok()) {
              for (const MessageStatusItem& it : items) {
                FUZZ_CHECK(static_cast<uint8_t>(it.status) <=
                           static_cast<uint8_t>(EnvelopeStatus::kFailed));
                FUZZ_CHECK(!status_name(it.status).empty());
              }
            }
            return st;
          },
          [&](std::string& out) { encode_message_status_result(out, id, items); });
      break;
    }
    default: break;
  }
  return 0;
}
