#pragma once
// An envelope: one message in one queue. Every queued message has one, so it is kept small: the
// fixed fields here (40 bytes) and the body right behind them in the same allocation
// (EnvelopeStore). What only some envelopes have lives beside it in the core: the lease of a
// delivered one (Lease) and the idempotency key and failure history (EnvelopeExtras).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/core/types.h"
#include "protocol/dispatch.h"

namespace symphony::broker {

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

/// The persisted fields a minority of envelopes has.
struct EnvelopeExtras {
  std::string idempotency_key;
  std::vector<Failure> failures;
};

/// A delivered envelope's lease (in memory only: a restart ends every lease).
struct Lease {
  ConsumerId holder = 0;
  TimeMs deadline_ms = 0;
  TimeMs leased_at_ms = 0;  ///< when the lease began (processing time)
};

/// Persisted in wal::EnvelopeRecord, with the extras. Created only by EnvelopeStore, which puts
/// the body bytes right after it; so it is neither copied nor moved.
struct Envelope {
  MessageId id = 0;
  TimeMs created_at_ms = 0;
  /// When it may be delivered; also its FIFO position inside its priority.
  TimeMs available_at_ms = 0;
  uint32_t queue = 0;     ///< its queue's index in the core
  uint32_t attempts = 0;  ///< deliveries so far; the next delivery is attempt `attempts + 1`
  uint32_t body_size = 0;
  uint16_t max_retries = 0;
  uint8_t priority = 0;
  EnvelopeState state = EnvelopeState::kReady;

  Envelope() = default;
  Envelope(const Envelope&) = delete;
  Envelope& operator=(const Envelope&) = delete;

  /// protocol::MessageBody: type, headers, metadata, payload.
  std::string_view body() const { return {reinterpret_cast<const char*>(this + 1), body_size}; }
  char* body_data() { return reinterpret_cast<char*>(this + 1); }
};
static_assert(sizeof(Envelope) == 40, "an Envelope is paid for once per queued message");

/// Everything the core knows of one envelope, gathered for queries, tests and tools. The views
/// are valid until the core's next command.
struct EnvelopeView {
  MessageId id = 0;
  std::string_view queue;
  TimeMs created_at_ms = 0;
  TimeMs available_at_ms = 0;
  uint32_t attempts = 0;
  uint16_t max_retries = 0;
  uint8_t priority = 0;
  EnvelopeState state = EnvelopeState::kReady;
  std::string_view body;
  std::string_view idempotency_key;
  std::span<const Failure> failures;
  ConsumerId lease_holder = 0;  ///< 0 unless leased
  TimeMs lease_deadline_ms = 0;
  TimeMs leased_at_ms = 0;
};

/// The message type stored in a body.
std::string_view message_type(std::string_view body);

}  // namespace symphony::broker
