// OVERVIEW, HEALTH, METRICS, BACKUP and their results (protocol/observe.h): the properties of
// codec_check.h; OVERVIEW refuses minutes over 60 as INVALID_ARGUMENT (the connection stays
// open), never as a broken stream; the empty requests refuse any body.
#include "protocol/observe.h"

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
    case Opcode::kOverview: {
      uint8_t minutes = 0;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kOverview, Refusals::kInvalidArgument, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_overview(b, minutes);
            if (st.code == ErrorCode::kInvalidArgument) {
              FUZZ_CHECK(b.size() == 1 && minutes > kMaxOverviewMinutes);
            }
            if (st.ok()) FUZZ_CHECK(minutes <= kMaxOverviewMinutes);
            return st;
          },
          [&](std::string& out) { encode_overview(out, id, minutes); });
      break;
    }
    case Opcode::kHealth:
      symphony::fuzz::check_codec(
          frame.body, Opcode::kHealth, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_health(b); },
          [&](std::string& out) { encode_health(out, id); });
      FUZZ_CHECK(decode_health(frame.body).ok() == frame.body.empty());
      break;
    case Opcode::kMetrics:
      symphony::fuzz::check_codec(
          frame.body, Opcode::kMetrics, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_metrics(b); },
          [&](std::string& out) { encode_metrics(out, id); });
      FUZZ_CHECK(decode_metrics(frame.body).ok() == frame.body.empty());
      break;
    case Opcode::kBackup: {
      std::string_view path;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kBackup, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_backup(b, path);
            if (st.ok()) FUZZ_CHECK(inside(path, b));
            return st;
          },
          [&](std::string& out) { encode_backup(out, id, path); });
      break;
    }
    case Opcode::kOverviewResult:
    case Opcode::kHealthResult:
    case Opcode::kMetricsResult:
    case Opcode::kBackupResult: {
      std::string_view document;
      symphony::fuzz::check_codec(
          frame.body, frame.opcode, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_document_result(b, document);
            if (st.ok()) FUZZ_CHECK(inside(document, b));
            return st;
          },
          [&](std::string& out) { encode_document_result(out, frame.opcode, id, document); });
      break;
    }
    default: break;
  }
  return 0;
}
