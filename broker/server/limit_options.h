#pragma once
// The resource limits of [limits] beyond message sizes (docs/operations.md, "Limits"): the
// connection cap, the HELLO deadline, the memory limit and the per-consumer output bound.
#include <cstdint>

#include "broker/server/memory_guard.h"

namespace symphony::server {

struct LimitOptions {
  /// Most binary-protocol connections at once; one more gets ERROR TOO_MANY_CONNECTIONS and is
  /// closed. 0: derived at start from the open-file limit (RLIMIT_NOFILE less
  /// kReservedDescriptors for the log, the admin port and the broker itself). Default: 0
  uint32_t max_connections = 0;
  /// From accept to a successful HELLO (TLS handshake included); later, ERROR HELLO_REQUIRED
  /// and close. Default: 10000 ms
  uint32_t hello_timeout_ms = 10'000;
  /// Above it new messages are refused with MEMORY_LIMIT until memory is under 90% of it.
  /// Default: 60% of the machine's memory (or of the cgroup's limit)
  MemoryLimit max_memory;
  /// Deliveries to a consumer stop while its connection's unsent output (queued, being written
  /// and held for the log) is over this, and resume once it is under half. Default: 4 MiB
  uint64_t max_consumer_output_bytes = 4u << 20;

  /// Descriptors kept back from the derived connection cap.
  static constexpr uint32_t kReservedDescriptors = 160;
  /// The connection cap for an open-file limit of `nofile`, when max_connections is 0.
  static uint32_t derived_max_connections(uint64_t nofile) {
    const uint64_t n = nofile > kReservedDescriptors + 16 ? nofile - kReservedDescriptors
                                                          : (nofile / 2 > 0 ? nofile / 2 : 1);
    return static_cast<uint32_t>(n > 0xFFFFFFFFu ? 0xFFFFFFFFu : n);
  }
};

}  // namespace symphony::server
