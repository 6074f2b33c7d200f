#include "broker/server/status_report.h"

#include <string>

#include "protocol/json_views.h"

namespace symphony::server {

using nlohmann::json;

namespace {

json rate_json(const broker::RateWindow::Counts& c, int minutes) {
  const double seconds = minutes * 60.0;
  const uint64_t outcomes = c.acked + c.failed;  // settled for good: acked or dead-lettered
  const uint64_t attempts = c.acked + c.retried + c.failed;
  json j{{"dispatched", c.dispatched},
         {"acked", c.acked},
         {"retried", c.retried},
         {"dead_lettered", c.failed},
         {"expired", c.expired},
         {"dispatch_per_s", static_cast<double>(c.dispatched) / seconds},
         {"ack_per_s", static_cast<double>(c.acked) / seconds}};
  // rates of nothing are null rather than a made-up 0 or 1
  j["success_rate"] =
      outcomes ? json(static_cast<double>(c.acked) / static_cast<double>(outcomes)) : json(nullptr);
  j["retry_rate"] = attempts ? json(static_cast<double>(c.retried) / static_cast<double>(attempts))
                             : json(nullptr);
  j["avg_processing_ms"] =
      c.processed ? json(static_cast<double>(c.processing_ms) / static_cast<double>(c.processed))
                  : json(nullptr);
  return j;
}

}  // namespace

json status_report(const broker::Core& core, broker::TimeMs now, const std::vector<int>& windows) {
  json queues = json::object();
  std::vector<broker::RateWindow::Counts> all(windows.size());
  protocol::QueueStats total;
  for (const broker::Queue* q : core.queues()) {
    const auto stats = core.stats(q->name());
    if (stats.empty()) continue;
    const protocol::QueueStats& s = stats.front();
    json j = protocol::queue_stats_json(s);
    j["max_length"] = q->settings().max_length;
    json rates = json::object();
    for (size_t i = 0; i < windows.size(); ++i) {
      broker::RateWindow::Counts c;
      if (q->metrics.window) c = q->metrics.window->over(now, windows[i]);
      all[i] += c;
      rates[std::to_string(windows[i]) + "m"] = rate_json(c, windows[i]);
    }
    j["rates"] = std::move(rates);
    queues[q->name()] = std::move(j);
    total.ready += s.ready;
    total.delayed += s.delayed;
    total.in_flight += s.in_flight;
    total.dead += s.dead;
    total.consumers += s.consumers;
    total.dispatched_total += s.dispatched_total;
    total.delivered_total += s.delivered_total;
    total.acked_total += s.acked_total;
    total.retried_total += s.retried_total;
    total.dead_lettered_total += s.dead_lettered_total;
    total.expired_total += s.expired_total;
  }
  json totals = protocol::queue_stats_json(total);
  json total_rates = json::object();
  for (size_t i = 0; i < windows.size(); ++i) {
    total_rates[std::to_string(windows[i]) + "m"] = rate_json(all[i], windows[i]);
  }
  totals["rates"] = std::move(total_rates);
  return {{"time", protocol::iso_or_none(now)},
          {"queues", std::move(queues)},
          {"totals", std::move(totals)},
          {"schedules", core.schedule_count()}};
}

}  // namespace symphony::server
