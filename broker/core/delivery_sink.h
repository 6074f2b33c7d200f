#pragma once
#include "broker/core/envelope.h"
#include "broker/core/types.h"

namespace symphony::broker {

/// Where the core sends deliveries: the server writes a DELIVER entry to the consumer's
/// connection; tests record them. Called synchronously from Core::deliver(); `envelope` is valid
/// only during the call.
class DeliverySink {
 public:
  virtual ~DeliverySink() = default;
  virtual void on_deliver(ConsumerId consumer, const Envelope& envelope) = 0;
};

}  // namespace symphony::broker
