#include "protocol/dead_letter.h"

#include "protocol/frame.h"
#include "protocol/wire.h"

namespace symphony::protocol {

namespace {

constexpr size_t kMinSummaryBytes = 8 + 2 + 2 + 1 + 8 + 8 + 4 + 2 + 2;

void write_filter(ByteWriter& w, const DeadLetterFilter& f) {
  w.str16(f.queue);
  w.str16(f.type);
  w.str16(f.error_class);
  w.i64(f.failed_from_ms);
  w.i64(f.failed_to_ms);
}

void read_filter(ByteReader& r, DeadLetterFilter& f) {
  f.queue = std::string(r.str16());
  f.type = std::string(r.str16());
  f.error_class = std::string(r.str16());
  f.failed_from_ms = r.i64();
  f.failed_to_ms = r.i64();
}

void write_summary(ByteWriter& w, const DeadLetterSummary& s) {
  w.u64(s.id);
  w.str16(s.queue);
  w.str16(s.type);
  w.u8(s.priority);
  w.i64(s.created_at_ms);
  w.i64(s.failed_at_ms);
  w.u32(s.attempts);
  w.str16(s.error);
  w.str16(s.error_class);
}

void read_summary(ByteReader& r, DeadLetterSummary& s) {
  s.id = r.u64();
  s.queue = std::string(r.str16());
  s.type = std::string(r.str16());
  s.priority = r.u8();
  s.created_at_ms = r.i64();
  s.failed_at_ms = r.i64();
  s.attempts = r.u32();
  s.error = std::string(r.str16());
  s.error_class = std::string(r.str16());
}

void write_target(ByteWriter& w, const DeadLetterTarget& t) {
  w.u8(t.by_filter ? 1 : 0);
  if (t.by_filter) {
    write_filter(w, t.filter);
  } else {
    w.u32(static_cast<uint32_t>(t.ids.size()));
    for (uint64_t id : t.ids) w.u64(id);
  }
}

DecodeStatus read_target(ByteReader& r, uint32_t max_batch, DeadLetterTarget& t) {
  const uint8_t kind = r.u8();
  if (!r.ok() || kind > 1)
    return DecodeStatus::malformed("dead-letter target is neither ids nor filter");
  t.by_filter = kind == 1;
  t.ids.clear();
  if (t.by_filter) {
    read_filter(r, t.filter);
    return {};
  }
  const uint32_t n = r.u32();
  if (!r.ok()) return DecodeStatus::malformed("dead-letter id list too short");
  if (n > max_batch) return {ErrorCode::kBatchTooLarge, "id batch exceeds max_batch"};
  if (n > r.remaining() / 8) return DecodeStatus::malformed("dead-letter id list does not fit");
  t.ids.reserve(n);
  for (uint32_t i = 0; i < n; ++i) t.ids.push_back(r.u64());
  return {};
}

void write_action_result(ByteWriter& w, const DeadLetterActionResult& res) {
  w.u32(static_cast<uint32_t>(res.ids.size()));
  for (uint64_t id : res.ids) w.u64(id);
  w.u32(static_cast<uint32_t>(res.failures.size()));
  for (const IdFailure& f : res.failures) {
    w.u64(f.id);
    w.u16(static_cast<uint16_t>(f.code));
  }
}

}  // namespace

void encode_failed_list(std::string& out, uint32_t request_id, const FailedListRequest& r) {
  FrameBuilder f(out, Opcode::kFailedList, request_id);
  ByteWriter w(out);
  write_filter(w, r.filter);
  w.i64(r.cursor_failed_at_ms);
  w.u64(r.cursor_id);
  w.u32(r.limit);
  f.finish();
}

DecodeStatus decode_failed_list(std::string_view body, FailedListRequest& out) {
  ByteReader r(body);
  read_filter(r, out.filter);
  out.cursor_failed_at_ms = r.i64();
  out.cursor_id = r.u64();
  out.limit = r.u32();
  if (!r.at_end()) return DecodeStatus::malformed("FAILED_LIST body does not match its layout");
  return {};
}

void encode_failed_list_result(std::string& out, uint32_t request_id, const FailedListResult& res) {
  FrameBuilder f(out, Opcode::kFailedListResult, request_id);
  ByteWriter w(out);
  w.u64(res.total);
  w.u32(static_cast<uint32_t>(res.items.size()));
  for (const auto& s : res.items) write_summary(w, s);
  w.i64(res.next_cursor_failed_at_ms);
  w.u64(res.next_cursor_id);
  f.finish();
}

DecodeStatus decode_failed_list_result(std::string_view body, FailedListResult& out) {
  ByteReader r(body);
  out.total = r.u64();
  const uint32_t n = r.u32();
  if (!r.ok() || n > r.remaining() / kMinSummaryBytes) {
    return DecodeStatus::malformed("FAILED_LIST_RESULT count does not fit in the body");
  }
  out.items.assign(n, {});
  for (auto& s : out.items) read_summary(r, s);
  out.next_cursor_failed_at_ms = r.i64();
  out.next_cursor_id = r.u64();
  if (!r.at_end()) return DecodeStatus::malformed("FAILED_LIST_RESULT does not match its layout");
  return {};
}

void encode_failed_get(std::string& out, uint32_t request_id, uint64_t id) {
  FrameBuilder f(out, Opcode::kFailedGet, request_id);
  ByteWriter(out).u64(id);
  f.finish();
}

DecodeStatus decode_failed_get(std::string_view body, uint64_t& id) {
  ByteReader r(body);
  id = r.u64();
  if (!r.at_end()) return DecodeStatus::malformed("FAILED_GET body does not match its layout");
  return {};
}

void encode_failed_get_result(std::string& out, uint32_t request_id, const DeadLetterDetail& d) {
  FrameBuilder f(out, Opcode::kFailedGetResult, request_id);
  ByteWriter w(out);
  write_summary(w, d.summary);
  w.u16(static_cast<uint16_t>(d.failures.size()));
  for (const FailureInfo& fi : d.failures) {
    w.u32(fi.attempt);
    w.i64(fi.failed_at_ms);
    w.str16(fi.error);
    w.str16(fi.error_class);
  }
  w.u16(static_cast<uint16_t>(d.headers.size()));
  w.raw(encode_header_pairs(d.headers));
  w.blob32(d.metadata);
  w.blob32(d.payload);
  w.str16(d.idempotency_key);
  f.finish();
}

DecodeStatus decode_failed_get_result(std::string_view body, DeadLetterDetail& out) {
  ByteReader r(body);
  read_summary(r, out.summary);
  const uint16_t n = r.u16();
  if (!r.ok() || static_cast<size_t>(n) * 16 > r.remaining()) {
    return DecodeStatus::malformed("FAILED_GET_RESULT failure count does not fit");
  }
  out.failures.assign(n, {});
  for (FailureInfo& fi : out.failures) {
    fi.attempt = r.u32();
    fi.failed_at_ms = r.i64();
    fi.error = std::string(r.str16());
    fi.error_class = std::string(r.str16());
  }
  HeadersView h;
  if (!read_headers(r, h)) return DecodeStatus::malformed("FAILED_GET_RESULT headers overrun");
  out.headers = to_header_list(h);
  out.metadata = std::string(r.blob32());
  out.payload = std::string(r.blob32());
  out.idempotency_key = std::string(r.str16());
  if (!r.at_end()) return DecodeStatus::malformed("FAILED_GET_RESULT does not match its layout");
  return {};
}

void encode_failed_retry(std::string& out, uint32_t request_id, const DeadLetterTarget& t,
                         bool dry_run) {
  FrameBuilder f(out, Opcode::kFailedRetry, request_id);
  ByteWriter w(out);
  write_target(w, t);
  w.u8(dry_run ? 1 : 0);
  f.finish();
}

DecodeStatus decode_failed_retry(std::string_view body, uint32_t max_batch, DeadLetterTarget& t,
                                 bool& dry_run) {
  ByteReader r(body);
  if (DecodeStatus st = read_target(r, max_batch, t); !st.ok()) return st;
  dry_run = r.u8() != 0;
  if (!r.at_end()) return DecodeStatus::malformed("FAILED_RETRY body does not match its layout");
  return {};
}

void encode_failed_delete(std::string& out, uint32_t request_id, const DeadLetterTarget& t) {
  FrameBuilder f(out, Opcode::kFailedDelete, request_id);
  ByteWriter w(out);
  write_target(w, t);
  f.finish();
}

DecodeStatus decode_failed_delete(std::string_view body, uint32_t max_batch, DeadLetterTarget& t) {
  ByteReader r(body);
  if (DecodeStatus st = read_target(r, max_batch, t); !st.ok()) return st;
  if (!r.at_end()) return DecodeStatus::malformed("FAILED_DELETE body does not match its layout");
  return {};
}

void encode_dead_letter_action_result(std::string& out, Opcode op, uint32_t request_id,
                                      const DeadLetterActionResult& res) {
  FrameBuilder f(out, op, request_id);
  ByteWriter w(out);
  write_action_result(w, res);
  f.finish();
}

DecodeStatus decode_dead_letter_action_result(std::string_view body, DeadLetterActionResult& out) {
  ByteReader r(body);
  const uint32_t n = r.u32();
  if (!r.ok() || n > r.remaining() / 8) return DecodeStatus::malformed("id list does not fit");
  out.ids.assign(n, 0);
  for (uint64_t& id : out.ids) id = r.u64();
  const uint32_t nf = r.u32();
  if (!r.ok() || nf > r.remaining() / 10)
    return DecodeStatus::malformed("failure list does not fit");
  out.failures.assign(nf, {});
  for (IdFailure& fl : out.failures) {
    fl.id = r.u64();
    fl.code = static_cast<ErrorCode>(r.u16());
  }
  if (!r.at_end()) return DecodeStatus::malformed("dead-letter result does not match its layout");
  return {};
}

}  // namespace symphony::protocol
