#include "broker/server/health.h"

#include <fmt/format.h>
#include <sys/statvfs.h>

#include "broker/server/broker_service.h"

namespace symphony::server {

using nlohmann::json;

json HealthReport::to_json() const {
  return {{"status", status}, {"reasons", reasons}, {"checks", checks}};
}

std::optional<uint64_t> free_disk_bytes(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

HealthReport broker_health(const BrokerService* service, bool draining, const std::string& data_dir,
                           const HealthOptions& options) {
  HealthInputs in;
  in.recovering = service == nullptr;
  in.draining = draining;
  if (service) {
    in.storage_failed = service->storage_failed();
    if (in.storage_failed) in.storage_reason = service->log_health().health_reason(service->now());
    in.core = &service->core();
    in.memory = &service->memory();
    in.now = service->now();
  }
  in.free_disk_bytes = free_disk_bytes(data_dir);
  return evaluate_health(in, options);
}

HealthReport evaluate_health(const HealthInputs& in, const HealthOptions& options) {
  HealthReport r;
  bool unhealthy = false;
  auto bad = [&](std::string why) {
    unhealthy = true;
    r.reasons.push_back(std::move(why));
  };
  auto degraded = [&](std::string why) { r.reasons.push_back(std::move(why)); };

  r.checks["storage"] = in.storage_failed ? "failed" : "ok";
  if (in.storage_failed) bad(in.storage_reason);
  if (in.recovering) bad("recovering the log");
  if (in.draining) bad("shutting down");

  if (in.free_disk_bytes) {
    r.checks["free_disk_bytes"] = *in.free_disk_bytes;
    if (*in.free_disk_bytes < options.min_free_disk_bytes) {
      degraded(fmt::format("free disk {} MiB is under {} MiB", *in.free_disk_bytes >> 20,
                           options.min_free_disk_bytes >> 20));
    }
  } else {
    r.checks["free_disk_bytes"] = nullptr;
    degraded("cannot read the free space of the data directory");
  }

  json full = json::array();
  uint64_t expired = 0;
  if (in.core) {
    for (const broker::Queue* q : in.core->queues()) {
      const uint64_t max = q->settings().max_length;
      if (max > 0 && q->depth() >= max) {
        full.push_back(q->name());
        degraded(fmt::format("queue '{}' is at its max length {}", q->name(), max));
      }
      if (q->metrics.window) expired += q->metrics.window->over(in.now, 1).expired;
    }
  }
  r.checks["full_queues"] = full;
  r.checks["expired_leases_last_minute"] = expired;
  if (expired > options.max_expired_per_minute) {
    degraded(fmt::format("{} leases expired in the last minute (threshold {})", expired,
                         options.max_expired_per_minute));
  }
  if (const MemoryGuard* m = in.memory) {
    r.checks["memory_bytes"] = m->used();
    r.checks["memory_limit_bytes"] = m->limit();
    r.checks["memory_alarm"] = m->alarm();
    if (m->alarm()) {
      degraded(fmt::format(
          "memory {} is over the limit of {}: new messages are refused (MEMORY_LIMIT) until it is "
          "under {}",
          format_bytes(m->used()), format_bytes(m->limit()), format_bytes(m->low_watermark())));
    }
  }
  r.status = unhealthy ? "unhealthy" : r.reasons.empty() ? "healthy" : "degraded";
  return r;
}

}  // namespace symphony::server
