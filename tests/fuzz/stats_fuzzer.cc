// QUEUE_STATS and QUEUE_STATS_RESULT bodies (protocol/stats.h): the properties of codec_check.h,
// and the queue name is a view into the body.
#include "protocol/stats.h"

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
    case Opcode::kQueueStats: {
      std::string_view queue;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kQueueStats, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) {
            const DecodeStatus st = decode_queue_stats(b, queue);
            if (st.ok()) FUZZ_CHECK(inside(queue, b));
            return st;
          },
          [&](std::string& out) { encode_queue_stats(out, id, queue); });
      break;
    }
    case Opcode::kQueueStatsResult: {
      std::vector<QueueStats> stats;
      symphony::fuzz::check_codec(
          frame.body, Opcode::kQueueStatsResult, Refusals::kMalformedOnly, Canonical::kYes,
          [&](std::string_view b) { return decode_queue_stats_result(b, stats); },
          [&](std::string& out) { encode_queue_stats_result(out, id, stats); });
      break;
    }
    default: break;
  }
  return 0;
}
