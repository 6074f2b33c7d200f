#pragma once
// A named queue: its ready heap, its depth counters, lifetime counters, and the round-robin list
// of subscribed consumers that still have credit.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "broker/core/ready_heap.h"
#include "broker/core/types.h"

namespace symphony::broker {

struct QueueCounters {
  uint64_t dispatched = 0;
  uint64_t delivered = 0;
  uint64_t acked = 0;
  uint64_t retried = 0;
  uint64_t dead_lettered = 0;
  uint64_t expired = 0;
};

class Queue {
 public:
  explicit Queue(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }

  ReadyHeap ready;
  uint64_t delayed = 0;
  uint64_t in_flight = 0;
  uint64_t dead = 0;
  QueueCounters counters;

  /// Consumers subscribed to this queue, in subscription order.
  std::vector<ConsumerId> subscribers;
  /// Consumers that had credit when last seen, in round-robin order. May hold stale entries
  /// (consumer gone or out of credit); the core drops them when it meets them.
  std::deque<ConsumerId> hungry;
  /// Set while the queue is in the core's list of queues with new ready envelopes.
  bool dirty = false;

 private:
  std::string name_;
};

}  // namespace symphony::broker
