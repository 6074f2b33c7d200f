// The dead-letter bodies (protocol/dead_letter.h): FAILED_LIST, FAILED_GET, FAILED_RETRY,
// FAILED_DELETE and their results. The properties of codec_check.h; id targets keep to their
// limit (the frame's request id); a retry's dry-run byte is the only normalized field.
#include "protocol/dead_letter.h"

#include "tests/fuzz/codec_check.h"

using namespace symphony::protocol;
using symphony::fuzz::Canonical;
using symphony::fuzz::Refusals;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Frame frame;
  if (!symphony::fuzz::input_frame(symphony::fuzz::as_view(data, size), frame)) return 0;
  const uint32_t id = frame.request_id;
  const uint32_t max_batch = id;
  switch (frame.opcode) {
    case Opcode::kFailedList: {
      FailedListRequest r;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kFailedList, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_failed_list(b, r); },
          [&](std::string& out) { encode_failed_list(out, id, r); });
      break;
    }
    case Opcode::kFailedListResult: {
      FailedListResult r;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kFailedListResult, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_failed_list_result(b, r); },
          [&](std::string& out) { encode_failed_list_result(out, id, r); });
      break;
    }
    case Opcode::kFailedGet: {
      uint64_t target = 0;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kFailedGet, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_failed_get(b, target); },
          [&](std::string& out) { encode_failed_get(out, id, target); });
      break;
    }
    case Opcode::kFailedGetResult: {
      DeadLetterDetail d;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kFailedGetResult, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_failed_get_result(b, d); },
          [&](std::string& out) { encode_failed_get_result(out, id, d); });
      break;
    }
    case Opcode::kFailedRetry: {
      DeadLetterTarget t;
      bool dry_run = false;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kFailedRetry, Refusals::kBatchLimit, Canonical::kNo,
          [&](std::string_view b) {
            const DecodeStatus st = decode_failed_retry(b, max_batch, t, dry_run);
            if (st.ok()) FUZZ_CHECK(t.by_filter ? t.ids.empty() : t.ids.size() <= max_batch);
            return st;
          },
          [&](std::string& out) { encode_failed_retry(out, id, t, dry_run); });
      break;
    }
    case Opcode::kFailedDelete: {
      DeadLetterTarget t;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kFailedDelete, Refusals::kBatchLimit, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_failed_delete(b, max_batch, t);
            if (st.ok()) FUZZ_CHECK(t.by_filter ? t.ids.empty() : t.ids.size() <= max_batch);
            return st;
          },
          [&](std::string& out) { encode_failed_delete(out, id, t); });
      break;
    }
    case Opcode::kFailedRetryResult:
    case Opcode::kFailedDeleteResult: {
      DeadLetterActionResult r;
      symphony::fuzz::check_codec(
          frame.body, frame.opcode, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_dead_letter_action_result(b, r); },
          [&](std::string& out) { encode_dead_letter_action_result(out, frame.opcode, id, r); });
      break;
    }
    default: break;
  }
  return 0;
}
