#include "protocol/observe.h"

#include "protocol/frame.h"
#include "protocol/wire.h"

namespace symphony::protocol {

namespace {

void encode_empty(std::string& out, Opcode op, uint32_t request_id) {
  FrameBuilder f(out, op, request_id);
  f.finish();
}

}  // namespace

void encode_overview(std::string& out, uint32_t request_id, uint8_t minutes) {
  FrameBuilder f(out, Opcode::kOverview, request_id);
  ByteWriter(out).u8(minutes);
  f.finish();
}

DecodeStatus decode_overview(std::string_view body, uint8_t& minutes) {
  ByteReader r(body);
  minutes = r.u8();
  if (!r.at_end()) return DecodeStatus::malformed("OVERVIEW body does not match its layout");
  // a well-formed frame with a bad value is the caller's mistake, not a broken stream: the
  // connection stays open
  if (minutes > kMaxOverviewMinutes) {
    return {ErrorCode::kInvalidArgument, "minutes must be 0 (the default windows) or 1..60"};
  }
  return {};
}

void encode_health(std::string& out, uint32_t request_id) {
  encode_empty(out, Opcode::kHealth, request_id);
}

DecodeStatus decode_health(std::string_view body) {
  if (!body.empty()) return DecodeStatus::malformed("HEALTH has a body");
  return {};
}

void encode_metrics(std::string& out, uint32_t request_id) {
  encode_empty(out, Opcode::kMetrics, request_id);
}

DecodeStatus decode_metrics(std::string_view body) {
  if (!body.empty()) return DecodeStatus::malformed("METRICS has a body");
  return {};
}

void encode_backup(std::string& out, uint32_t request_id, std::string_view name) {
  FrameBuilder f(out, Opcode::kBackup, request_id);
  ByteWriter(out).str16(name);
  f.finish();
}

DecodeStatus decode_backup(std::string_view body, std::string_view& name) {
  ByteReader r(body);
  name = r.str16();
  if (!r.at_end()) return DecodeStatus::malformed("BACKUP body does not match its layout");
  return {};
}

void encode_document_result(std::string& out, Opcode op, uint32_t request_id,
                            std::string_view document) {
  FrameBuilder f(out, op, request_id);
  ByteWriter(out).blob32(document);
  f.finish();
}

DecodeStatus decode_document_result(std::string_view body, std::string_view& document) {
  ByteReader r(body);
  document = r.blob32();
  if (!r.at_end()) return DecodeStatus::malformed("result body does not match its layout");
  return {};
}

}  // namespace symphony::protocol
