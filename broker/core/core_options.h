#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "broker/core/retry_policy.h"
#include "broker/core/types.h"
#include "protocol/handshake.h"

namespace symphony::broker {

/// A declared queue's settings (config: [queues.NAME]). 0 means "the broker-wide default".
struct QueueSettings {
  uint8_t default_priority = 0;  ///< priority of messages sent with priority 0. Default: 5
  uint32_t lease_ms = 0;         ///< lease of deliveries when SUBSCRIBE asks for 0. Default: 30 s
  uint64_t max_length = 0;       ///< ready + delayed + in flight beyond which a dispatch is
                                 ///< rejected with QUEUE_FULL. Default: 0 (unlimited)
};

struct CoreOptions {
  /// Size limits enforced on every message (also announced in WELCOME).
  protocol::ServerLimits limits;
  /// Queue of messages dispatched without a queue. Default: "default"
  std::string default_queue = "default";
  /// Priority of messages dispatched with priority 0. Default: 5
  uint8_t default_priority = 5;
  /// Prefetch of a SUBSCRIBE that asks for 0. Default: 10 (the seeds' worker batch size)
  uint32_t default_prefetch = 10;
  /// Largest prefetch a consumer may ask for. Default: 100000
  uint32_t max_prefetch = 100'000;
  /// Lease (visibility timeout) of a SUBSCRIBE that asks for 0. Default: 30 s
  uint32_t default_lease_ms = 30'000;
  /// Longest lease or lease extension. Default: 12 h
  uint32_t max_lease_ms = 12 * 3600 * 1000;
  /// Longest delay or schedule ahead of now. Default: 10 years
  TimeMs max_delay_ms = TimeMs{10} * 365 * 24 * 3600 * 1000;
  /// How long an idempotency key is remembered. Default: 24 h
  TimeMs idempotency_window_ms = TimeMs{24} * 3600 * 1000;
  /// Retry policy, by message type.
  RetryPolicies retry;
  /// Declared queues. Undeclared queues are created on first use with the defaults, unless
  /// strict_queues. Default: none
  std::map<std::string, QueueSettings, std::less<>> queues;
  /// Message type -> destination queues (fan-out: one envelope per queue). An explicit queue in
  /// a dispatch overrides it; unrouted types go to default_queue. Default: none
  std::map<std::string, std::vector<std::string>, std::less<>> routing;
  /// Dispatch or subscribe to an undeclared queue is QUEUE_NOT_FOUND. Default: false
  bool strict_queues = false;
  /// Completed (acked) envelopes are remembered for MESSAGE_STATUS: at most this many...
  /// Default: 100000
  uint64_t completed_retention_count = 100'000;
  /// ...and for at most this long. Default: 1 h
  TimeMs completed_retention_ms = TimeMs{3600} * 1000;
  /// Seed of the jitter random source (deterministic for tests). Default: 1
  uint64_t random_seed = 1;
};

}  // namespace symphony::broker
