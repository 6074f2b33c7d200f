#include "protocol/stats.h"

#include "protocol/frame.h"
#include "protocol/wire.h"

namespace symphony::protocol {

namespace {
constexpr size_t kCounterCount = 11;
constexpr size_t kMinStatsBytes = 2 + kCounterCount * 8;
}  // namespace

void encode_queue_stats(std::string& out, uint32_t request_id, std::string_view queue) {
  FrameBuilder f(out, Opcode::kQueueStats, request_id);
  ByteWriter(out).str16(queue);
  f.finish();
}

DecodeStatus decode_queue_stats(std::string_view body, std::string_view& queue) {
  ByteReader r(body);
  queue = r.str16();
  if (!r.at_end()) return DecodeStatus::malformed("QUEUE_STATS body does not match its layout");
  return {};
}

void encode_queue_stats_result(std::string& out, uint32_t request_id,
                               std::span<const QueueStats> stats) {
  FrameBuilder f(out, Opcode::kQueueStatsResult, request_id);
  ByteWriter w(out);
  w.u32(static_cast<uint32_t>(stats.size()));
  for (const QueueStats& s : stats) {
    w.str16(s.name);
    for (uint64_t v : {s.ready, s.delayed, s.in_flight, s.dead, s.consumers, s.dispatched_total,
                       s.delivered_total, s.acked_total, s.retried_total, s.dead_lettered_total,
                       s.expired_total}) {
      w.u64(v);
    }
  }
  f.finish();
}

DecodeStatus decode_queue_stats_result(std::string_view body, std::vector<QueueStats>& out) {
  out.clear();
  ByteReader r(body);
  const uint32_t count = r.u32();
  if (!r.ok() || count > r.remaining() / kMinStatsBytes) {
    return DecodeStatus::malformed("QUEUE_STATS_RESULT count does not fit in the body");
  }
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    QueueStats s;
    s.name = std::string(r.str16());
    for (uint64_t* v : {&s.ready, &s.delayed, &s.in_flight, &s.dead, &s.consumers,
                        &s.dispatched_total, &s.delivered_total, &s.acked_total, &s.retried_total,
                        &s.dead_lettered_total, &s.expired_total}) {
      *v = r.u64();
    }
    if (!r.ok()) return DecodeStatus::malformed("QUEUE_STATS_RESULT entry overruns the body");
    out.push_back(std::move(s));
  }
  if (!r.at_end()) return DecodeStatus::malformed("QUEUE_STATS_RESULT body has trailing bytes");
  return {};
}

}  // namespace symphony::protocol
