#pragma once
// GET /health and `symphony health`: healthy, degraded or unhealthy, with the reasons.
//   unhealthy: log writes fail (a full disk, an I/O error: the broker refuses what needs the log
//              until they succeed again), the broker is recovering or shutting down (HTTP 503)
//   degraded:  free disk under the threshold, a queue at its max length, lease expiries over the
//              last minute above the threshold, the memory alarm (new messages refused) (HTTP
//              200: still serving)
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/core/core.h"
#include "broker/server/health_options.h"
#include "broker/server/memory_guard.h"

namespace symphony::server {

class BrokerService;

struct HealthInputs {
  bool recovering = false;
  bool draining = false;
  bool storage_failed = false;
  std::string storage_reason;               ///< LogHealth::health_reason, when storage_failed
  std::optional<uint64_t> free_disk_bytes;  ///< unset when statvfs failed
  const broker::Core* core = nullptr;       ///< null while recovering
  const MemoryGuard* memory = nullptr;      ///< null while recovering
  broker::TimeMs now = 0;
};

struct HealthReport {
  std::string status;  ///< "healthy", "degraded" or "unhealthy"
  std::vector<std::string> reasons;
  nlohmann::json checks;
  int http_status() const { return status == "unhealthy" ? 503 : 200; }
  nlohmann::json to_json() const;
};

HealthReport evaluate_health(const HealthInputs& in, const HealthOptions& options);
/// The report of GET /health and of the HEALTH frame, so both say the same: `service` is null
/// while the log is recovering; `data_dir` is where free space is measured.
HealthReport broker_health(const BrokerService* service, bool draining, const std::string& data_dir,
                           const HealthOptions& options);
/// Free bytes for an unprivileged user on the file system holding `path`.
std::optional<uint64_t> free_disk_bytes(const std::string& path);

}  // namespace symphony::server
