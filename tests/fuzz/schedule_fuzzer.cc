// The schedule bodies (protocol/schedule.h): SCHEDULE_CREATE, SCHEDULE_GET, SCHEDULE_UPDATE and
// the results (ScheduleInfo is also the log's schedule_set record). The properties of
// codec_check.h; `enabled` and `exists` are the normalized bytes; a decoded kind and op are
// among the defined ones.
#include "protocol/schedule.h"

#include <vector>

#include "tests/fuzz/codec_check.h"

using namespace symphony::protocol;
using symphony::fuzz::Canonical;
using symphony::fuzz::Refusals;

namespace {

void check_spec(const ScheduleSpec& s) {
  FUZZ_CHECK(static_cast<uint8_t>(s.kind) <= static_cast<uint8_t>(ScheduleKind::kCron));
  FUZZ_CHECK(!schedule_kind_name(s.kind).empty());
  FUZZ_CHECK(s.headers.size() <= UINT16_MAX);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Frame frame;
  if (!symphony::fuzz::input_frame(symphony::fuzz::as_view(data, size), frame)) return 0;
  const uint32_t id = frame.request_id;
  switch (frame.opcode) {
    case Opcode::kScheduleCreate: {
      ScheduleSpec spec;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kScheduleCreate, Refusals::kMalformedOnly, Canonical::kNo,
          [&](std::string_view b) {
            const DecodeStatus st = decode_schedule_create(b, spec);
            if (st.ok()) check_spec(spec);
            return st;
          },
          [&](std::string& out) { encode_schedule_create(out, id, spec); });
      break;
    }
    case Opcode::kScheduleGet: {
      uint64_t target = 0;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kScheduleGet, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_schedule_get(b, target); },
          [&](std::string& out) { encode_schedule_get(out, id, target); });
      break;
    }
    case Opcode::kScheduleUpdate: {
      uint64_t target = 0;
      ScheduleOp op = ScheduleOp::kEnable;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kScheduleUpdate, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_schedule_update(b, target, op);
            if (st.ok()) FUZZ_CHECK(static_cast<uint8_t>(op) <= 2);
            return st;
          },
          [&](std::string& out) { encode_schedule_update(out, id, target, op); });
      break;
    }
    case Opcode::kScheduleCreateResult:
    case Opcode::kScheduleGetResult: {
      ScheduleInfo info;
      symphony::fuzz::check_codec(
          frame.body, frame.opcode, Refusals::kMalformedOnly, Canonical::kNo,
          [&](std::string_view b) {
            const DecodeStatus st = decode_schedule_result(b, info);
            if (st.ok()) check_spec(info.spec);
            return st;
          },
          [&](std::string& out) { encode_schedule_result(out, frame.opcode, id, info); });
      break;
    }
    case Opcode::kScheduleListResult: {
      std::vector<ScheduleInfo> list;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kScheduleListResult, Refusals::kMalformedOnly, Canonical::kNo,
          [&](std::string_view b) {
            const DecodeStatus st = decode_schedule_list_result(b, list);
            if (st.ok()) {
              for (const ScheduleInfo& s : list) check_spec(s.spec);
            }
            return st;
          },
          [&](std::string& out) { encode_schedule_list_result(out, id, list); });
      break;
    }
    case Opcode::kScheduleUpdateResult: {
      bool exists = false;
      ScheduleInfo info;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kScheduleUpdateResult, Refusals::kMalformedOnly, Canonical::kNo,
          [&](std::string_view b) {
            info = ScheduleInfo{};
            return decode_schedule_update_result(b, exists, info);
          },
          [&](std::string& out) { encode_schedule_update_result(out, id, exists ? &info : nullptr); });
      break;
    }
    default: break;
  }
  return 0;
}
