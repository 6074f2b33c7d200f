#pragma once
// GET /metrics and `symphony metrics`: the Prometheus text exposition format (version 0.0.4).
// Hand-written: Debian 12 packages no Prometheus client library for C++, and the format is a few
// lines per family. Every name is listed in docs/operations.md ("Metrics").
#include <cstdint>
#include <string>

#include "broker/core/core.h"
#include "broker/server/memory_guard.h"
#include "broker/server/server_metrics.h"

namespace symphony::server {

class BrokerService;

struct MetricsInputs {
  const broker::Core* core = nullptr;  ///< null while recovering
  const ServerMetrics* server = nullptr;
  uint64_t connections = 0;
  const MemoryGuard* memory = nullptr;  ///< null while recovering
  uint64_t blocked_consumers = 0;
  uint64_t buffered_output_bytes = 0;
  uint64_t max_buffered_output_bytes = 0;
  uint64_t log_disk_bytes = 0;
  uint64_t auth_failures = 0;   ///< AuthGate: wrong or missing tokens, both ports
  uint64_t auth_throttled = 0;  ///< AuthGate: answers held back by the throttle
  bool ready = false;
};

std::string metrics_text(const MetricsInputs& in);
/// The inputs of GET /metrics and of the METRICS frame, so both say the same: `service` is null
/// while the log is recovering.
MetricsInputs metrics_inputs(const BrokerService* service, bool draining, uint64_t log_disk_bytes);

}  // namespace symphony::server
