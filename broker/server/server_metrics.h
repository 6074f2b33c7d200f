#pragma once
// Server-level numbers for GET /metrics (per-queue ones live in the core's QueueMetrics):
// connections (auth failures: AuthGate), and what the log writer reports per commit group.
#include <cstdint>

#include "broker/core/metrics.h"

namespace symphony::server {

/// What an AcceptLoop counts.
struct AcceptStats {
  uint64_t errors = 0;   ///< accept errors (EMFILE, ENFILE, ENOBUFS, ENOMEM, ...)
  uint64_t refused = 0;  ///< clients refused at the descriptor limit (the spare descriptor)
};

struct ServerMetrics {
  uint64_t connections_accepted = 0;
  AcceptStats accept;                      ///< the protocol port's accept loop
  uint64_t connections_over_limit = 0;     ///< refused with TOO_MANY_CONNECTIONS (max_connections)
  uint64_t hello_timeouts = 0;             ///< closed for no HELLO within the deadline
  uint64_t dispatches_refused_memory = 0;  ///< messages refused with MEMORY_LIMIT
  uint64_t memory_alarms = 0;              ///< times the memory alarm was raised
  uint64_t consumer_output_blocks = 0;     ///< times deliveries to a consumer stopped
  uint64_t protocol_errors = 0;            ///< connections closed for a 1xx error
  uint64_t log_commits = 0;                ///< commit groups written
  uint64_t log_records = 0;                ///< records in them
  uint64_t log_bytes_written = 0;          ///< bytes of their values
  broker::PromHistogram log_commit_seconds;  ///< write (and fsync) time per group
  broker::PromHistogram log_group_records{broker::PromHistogram::kCounts};
};

}  // namespace symphony::server
