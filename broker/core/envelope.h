#pragma once
// An envelope: one message in one queue, and everything the broker knows about it. The fields
// above the line are persisted (wal::EnvelopeRecord); the ones below live in memory only and are
// rebuilt or reset by recovery.
#include <cstdint>
#include <string>
#include <vector>

#include "broker/core/types.h"
#include "protocol/dispatch.h"

namespace symphony::broker {

class Queue;

enum class EnvelopeState : uint8_t {
  kDelayed,  ///< pending, available_at in the future
  kReady,    ///< pending, in its queue's ready heap
  kLeased,   ///< processing: delivered, waiting for ack/nack
  kDead,     ///< failed: in the dead-letter set
};

protocol::EnvelopeStatus status_of(EnvelopeState state);

/// One failed attempt (nack or lease expiry), kept per envelope.
struct Failure {
  uint32_t attempt = 0;
  TimeMs failed_at_ms = 0;
  std::string error;
  std::string error_class;
};

struct Envelope {
  // ---- persisted ----
  MessageId id = 0;
  Queue* queue = nullptr;
  TimeMs created_at_ms = 0;
  /// When it may be delivered; also its FIFO position inside its priority.
  TimeMs available_at_ms = 0;
  uint32_t attempts = 0;  ///< deliveries so far; the next delivery is attempt `attempts + 1`
  uint16_t max_retries = 0;
  uint8_t priority = 0;
  EnvelopeState state = EnvelopeState::kReady;
  std::string body;  ///< protocol::MessageBody: type, headers, metadata, payload
  std::string idempotency_key;
  std::vector<Failure> failures;
  // ---- in memory only ----
  ConsumerId lease_holder = 0;
  TimeMs lease_deadline_ms = 0;
  TimeMs leased_at_ms = 0;  ///< when the current lease began (processing time)
};

/// The message type stored in the envelope's body.
std::string_view message_type(const Envelope& e);

}  // namespace symphony::broker
