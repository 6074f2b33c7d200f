#pragma once
// A consumer: one subscribed session, its queues, its prefetch window and the leases it holds.
#include <cstdint>
#include <vector>

#include "broker/core/types.h"

namespace symphony::broker {

class Queue;

struct Subscription {
  Queue* queue = nullptr;
  /// True while this consumer has an entry in queue->hungry.
  bool listed = false;
};

struct Consumer {
  ConsumerId id = 0;
  std::vector<Subscription> subscriptions;
  uint32_t prefetch = 0;  ///< most unsettled deliveries at once; 0 pauses delivery
  uint32_t lease_ms = 0;
  /// Leases held (the core's lease table says which).
  uint32_t leased = 0;
  /// Set while the consumer is in the core's list of consumers that gained credit.
  bool dirty = false;
  /// The sink said it can take no more (output backed up); cleared by Core::resume_delivery().
  bool blocked = false;

  /// Deliveries it may get now: none while blocked, else what its prefetch leaves.
  uint32_t credit() const { return !blocked && prefetch > leased ? prefetch - leased : 0; }
  Subscription* subscription_for(const Queue* q) {
    for (Subscription& s : subscriptions) {
      if (s.queue == q) return &s;
    }
    return nullptr;
  }
};

}  // namespace symphony::broker
