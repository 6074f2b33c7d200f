#include "protocol/schedule.h"

#include "protocol/frame.h"

namespace symphony::protocol {

std::string_view schedule_kind_name(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::kOnce: return "once";
    case ScheduleKind::kInterval: return "interval";
    case ScheduleKind::kCron: return "cron";
  }
  return "once";
}

namespace {

void write_spec(ByteWriter& w, const ScheduleSpec& s) {
  w.str16(s.name);
  w.u8(static_cast<uint8_t>(s.kind));
  w.i64(s.at_ms);
  w.i64(s.interval_ms);
  w.str16(s.cron);
  w.str16(s.timezone);
  w.i64(s.start_at_ms);
  w.u64(s.max_runs);
  w.u8(s.enabled ? 1 : 0);
  w.str16(s.type);
  w.blob32(s.payload);
  w.blob32(s.metadata);
  w.u16(static_cast<uint16_t>(s.headers.size()));
  w.raw(encode_header_pairs(s.headers));
  w.str16(s.queue);
  w.u8(s.priority);
}

bool read_spec(ByteReader& r, ScheduleSpec& s) {
  s.name = std::string(r.str16());
  const uint8_t kind = r.u8();
  s.at_ms = r.i64();
  s.interval_ms = r.i64();
  s.cron = std::string(r.str16());
  s.timezone = std::string(r.str16());
  s.start_at_ms = r.i64();
  s.max_runs = r.u64();
  s.enabled = r.u8() != 0;
  s.type = std::string(r.str16());
  s.payload = std::string(r.blob32());
  s.metadata = std::string(r.blob32());
  HeadersView h;
  if (!read_headers(r, h)) return false;
  s.headers = to_header_list(h);
  s.queue = std::string(r.str16());
  s.priority = r.u8();
  if (!r.ok() || kind > static_cast<uint8_t>(ScheduleKind::kCron)) return false;
  s.kind = static_cast<ScheduleKind>(kind);
  return true;
}

}  // namespace

void write_schedule_info(ByteWriter& w, const ScheduleInfo& s) {
  w.u64(s.id);
  write_spec(w, s.spec);
  w.i64(s.next_run_at_ms);
  w.i64(s.last_run_at_ms);
  w.u64(s.run_count);
  w.i64(s.created_at_ms);
  w.i64(s.updated_at_ms);
  w.str16(s.last_error);
}

bool read_schedule_info(ByteReader& r, ScheduleInfo& s) {
  s.id = r.u64();
  if (!read_spec(r, s.spec)) return false;
  s.next_run_at_ms = r.i64();
  s.last_run_at_ms = r.i64();
  s.run_count = r.u64();
  s.created_at_ms = r.i64();
  s.updated_at_ms = r.i64();
  s.last_error = std::string(r.str16());
  return r.ok();
}

void encode_schedule_create(std::string& out, uint32_t request_id, const ScheduleSpec& spec) {
  FrameBuilder f(out, Opcode::kScheduleCreate, request_id);
  ByteWriter w(out);
  write_spec(w, spec);
  f.finish();
}

DecodeStatus decode_schedule_create(std::string_view body, ScheduleSpec& out) {
  ByteReader r(body);
  if (!read_spec(r, out) || !r.at_end()) {
    return DecodeStatus::malformed("SCHEDULE_CREATE body does not match its layout");
  }
  return {};
}

void encode_schedule_list(std::string& out, uint32_t request_id) {
  FrameBuilder f(out, Opcode::kScheduleList, request_id);
  f.finish();
}

void encode_schedule_get(std::string& out, uint32_t request_id, uint64_t id) {
  FrameBuilder f(out, Opcode::kScheduleGet, request_id);
  ByteWriter(out).u64(id);
  f.finish();
}

DecodeStatus decode_schedule_get(std::string_view body, uint64_t& id) {
  ByteReader r(body);
  id = r.u64();
  if (!r.at_end()) return DecodeStatus::malformed("SCHEDULE_GET body does not match its layout");
  return {};
}

void encode_schedule_update(std::string& out, uint32_t request_id, uint64_t id, ScheduleOp op) {
  FrameBuilder f(out, Opcode::kScheduleUpdate, request_id);
  ByteWriter w(out);
  w.u64(id);
  w.u8(static_cast<uint8_t>(op));
  f.finish();
}

DecodeStatus decode_schedule_update(std::string_view body, uint64_t& id, ScheduleOp& op) {
  ByteReader r(body);
  id = r.u64();
  const uint8_t raw = r.u8();
  if (!r.at_end() || raw > static_cast<uint8_t>(ScheduleOp::kDelete)) {
    return DecodeStatus::malformed("SCHEDULE_UPDATE body does not match its layout");
  }
  op = static_cast<ScheduleOp>(raw);
  return {};
}

void encode_schedule_result(std::string& out, Opcode op, uint32_t request_id,
                            const ScheduleInfo& s) {
  FrameBuilder f(out, op, request_id);
  ByteWriter w(out);
  write_schedule_info(w, s);
  f.finish();
}

DecodeStatus decode_schedule_result(std::string_view body, ScheduleInfo& out) {
  ByteReader r(body);
  if (!read_schedule_info(r, out) || !r.at_end()) {
    return DecodeStatus::malformed("schedule result does not match its layout");
  }
  return {};
}

void encode_schedule_list_result(std::string& out, uint32_t request_id,
                                 const std::vector<ScheduleInfo>& list) {
  FrameBuilder f(out, Opcode::kScheduleListResult, request_id);
  ByteWriter w(out);
  w.u32(static_cast<uint32_t>(list.size()));
  for (const ScheduleInfo& s : list) write_schedule_info(w, s);
  f.finish();
}

DecodeStatus decode_schedule_list_result(std::string_view body, std::vector<ScheduleInfo>& out) {
  ByteReader r(body);
  const uint32_t n = r.u32();
  // a ScheduleInfo is at least ~100 bytes; 64 is a safe lower bound for the fit check
  if (!r.ok() || n > r.remaining() / 64) {
    return DecodeStatus::malformed("SCHEDULE_LIST_RESULT count does not fit in the body");
  }
  out.assign(n, {});
  for (ScheduleInfo& s : out) {
    if (!read_schedule_info(r, s)) return DecodeStatus::malformed("SCHEDULE_LIST_RESULT overruns");
  }
  if (!r.at_end()) return DecodeStatus::malformed("SCHEDULE_LIST_RESULT does not match its layout");
  return {};
}

void encode_schedule_update_result(std::string& out, uint32_t request_id, const ScheduleInfo* s) {
  FrameBuilder f(out, Opcode::kScheduleUpdateResult, request_id);
  ByteWriter w(out);
  w.u8(s ? 1 : 0);
  if (s) write_schedule_info(w, *s);
  f.finish();
}

DecodeStatus decode_schedule_update_result(std::string_view body, bool& exists, ScheduleInfo& out) {
  ByteReader r(body);
  exists = r.u8() != 0;
  if (exists && !read_schedule_info(r, out)) {
    return DecodeStatus::malformed("SCHEDULE_UPDATE_RESULT overruns");
  }
  if (!r.at_end())
    return DecodeStatus::malformed("SCHEDULE_UPDATE_RESULT does not match its layout");
  return {};
}

}  // namespace symphony::protocol
