#pragma once
// QUEUE_STATS: per-queue depths and lifetime counters.
//
// QUEUE_STATS        := str16 queue            (empty: every queue)
// QUEUE_STATS_RESULT := u32 count, count x QueueStats
// QueueStats         := str16 name, u64 ready, u64 delayed, u64 in_flight, u64 dead,
//                       u64 consumers, u64 dispatched_total, u64 delivered_total,
//                       u64 acked_total, u64 retried_total, u64 dead_lettered_total,
//                       u64 expired_total
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/decode_status.h"

namespace symphony::protocol {

struct QueueStats {
  std::string name;
  uint64_t ready = 0;
  uint64_t delayed = 0;
  uint64_t in_flight = 0;
  uint64_t dead = 0;
  uint64_t consumers = 0;
  uint64_t dispatched_total = 0;
  uint64_t delivered_total = 0;
  uint64_t acked_total = 0;
  uint64_t retried_total = 0;
  uint64_t dead_lettered_total = 0;
  uint64_t expired_total = 0;
};

void encode_queue_stats(std::string& out, uint32_t request_id, std::string_view queue);
DecodeStatus decode_queue_stats(std::string_view body, std::string_view& queue);
void encode_queue_stats_result(std::string& out, uint32_t request_id,
                               std::span<const QueueStats> stats);
DecodeStatus decode_queue_stats_result(std::string_view body, std::vector<QueueStats>& out);

}  // namespace symphony::protocol
