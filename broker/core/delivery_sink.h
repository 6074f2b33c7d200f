#pragma once
#include <string_view>

#include "broker/core/envelope.h"
#include "broker/core/types.h"

namespace symphony::broker {

/// One delivery: the envelope (attempt already counted), its queue's name and its lease deadline.
struct Delivery {
  const Envelope& envelope;
  std::string_view queue;
  TimeMs lease_deadline_ms;
};

/// Where the core sends deliveries: the server writes a DELIVER entry to the consumer's
/// connection; tests record them. Called synchronously from Core::deliver(); the delivery is
/// valid only during the call.
class DeliverySink {
 public:
  virtual ~DeliverySink() = default;
  /// Takes one delivery. Returns false when the consumer can take no more for now (the server:
  /// its connection's unsent output is over the bound): the core then delivers nothing more to
  /// it, whatever its credit, until Core::resume_delivery(). This delivery itself is made.
  virtual bool on_deliver(ConsumerId consumer, const Delivery& delivery) = 0;
};

}  // namespace symphony::broker
