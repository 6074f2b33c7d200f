#pragma once
// When GET /health (and `symphony health`) reports something other than healthy.
#include <cstdint>

namespace symphony::server {

struct HealthOptions {
  /// Free space on the data directory's file system below this: degraded. Default: 1 GiB
  uint64_t min_free_disk_bytes = uint64_t{1} << 30;
  /// Lease expiries over the last minute above this (all queues): degraded. Default: 100
  uint32_t max_expired_per_minute = 100;
};

}  // namespace symphony::server
