#pragma once
// Server-level numbers for GET /metrics (per-queue ones live in the core's QueueMetrics):
// connections (auth failures: AuthGate), and what the log writer reports per commit group.
#include <cstdint>

#include "broker/core/metrics.h"

namespace symphony::server {

struct ServerMetrics {
  uint64_t connections_accepted = 0;
  uint64_t protocol_errors = 0;              ///< connections closed for a 1xx error
  uint64_t log_commits = 0;                  ///< commit groups written
  uint64_t log_records = 0;                  ///< records in them
  uint64_t log_bytes_written = 0;            ///< bytes of their values
  broker::PromHistogram log_commit_seconds;  ///< write (and fsync) time per group
  broker::PromHistogram log_group_records{broker::PromHistogram::kCounts};
};

}  // namespace symphony::server
