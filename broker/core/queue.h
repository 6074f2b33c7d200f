#pragma once
// A named queue: its ready heap, its depth counters, its metrics, and the round-robin list
// of subscribed consumers that still have credit.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "broker/core/core_options.h"
#include "broker/core/metrics.h"
#include "broker/core/ready_heap.h"
#include "broker/core/types.h"

namespace symphony::broker {

class Queue {
 public:
  Queue(std::string name, uint32_t index, const QueueSettings& settings, bool declared)
      : name_(std::move(name)), index_(index), settings_(settings), declared_(declared) {}

  const std::string& name() const { return name_; }
  /// Its position in the core's list of queues, which is what an envelope stores.
  uint32_t index() const { return index_; }
  const QueueSettings& settings() const { return settings_; }
  bool declared() const { return declared_; }
  /// Envelopes counted against max_length.
  uint64_t depth() const { return ready.size() + delayed + in_flight; }

  ReadyHeap ready;
  uint64_t delayed = 0;
  uint64_t in_flight = 0;
  uint64_t dead = 0;
  QueueMetrics metrics;

  /// Consumers subscribed to this queue, in subscription order.
  std::vector<ConsumerId> subscribers;
  /// Consumers that had credit when last seen, in round-robin order. May hold stale entries
  /// (consumer gone or out of credit); the core drops them when it meets them.
  std::deque<ConsumerId> hungry;
  /// Set while the queue is in the core's list of queues with new ready envelopes.
  bool dirty = false;

 private:
  std::string name_;
  uint32_t index_;
  QueueSettings settings_;
  bool declared_;
};

}  // namespace symphony::broker
