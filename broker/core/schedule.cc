#include "broker/core/schedule.h"

#include <fmt/format.h>

namespace symphony::broker {

namespace {
// below this an interval schedule is a busy loop, not a schedule
constexpr TimeMs kMinIntervalMs = 10;
}  // namespace

std::string prepare_schedule(Schedule& s) {
  const protocol::ScheduleSpec& spec = s.info.spec;
  s.zone = find_time_zone(spec.timezone.empty() ? std::string_view("UTC") : spec.timezone);
  if (!s.zone) return fmt::format("timezone: '{}' is not an IANA time zone", spec.timezone);
  s.cron.reset();
  switch (spec.kind) {
    case protocol::ScheduleKind::kOnce:
      if (spec.at_ms <= 0) return "at: a once schedule needs a time (Unix ms)";
      break;
    case protocol::ScheduleKind::kInterval:
      if (spec.interval_ms < kMinIntervalMs) {
        return fmt::format("interval: {} ms is below the minimum of {} ms", spec.interval_ms,
                           kMinIntervalMs);
      }
      if (spec.start_at_ms < 0) return "start_at: must not be negative";
      break;
    case protocol::ScheduleKind::kCron: {
      std::string error;
      s.cron = CronExpression::parse(spec.cron, error);
      if (!s.cron) return "cron: " + error;
      break;
    }
  }
  s.header_bytes = protocol::encode_header_pairs(spec.headers);
  return {};
}

TimeMs next_run_after(const Schedule& s, TimeMs after) {
  const protocol::ScheduleSpec& spec = s.info.spec;
  if (spec.max_runs != 0 && s.info.run_count >= spec.max_runs) return 0;
  switch (spec.kind) {
    case protocol::ScheduleKind::kOnce:
      return s.info.run_count == 0 && spec.at_ms > after ? spec.at_ms : 0;
    case protocol::ScheduleKind::kInterval: {
      const TimeMs anchor = spec.start_at_ms;
      if (after < anchor) return anchor;
      return anchor + ((after - anchor) / spec.interval_ms + 1) * spec.interval_ms;
    }
    case protocol::ScheduleKind::kCron:
      if (!s.cron) return 0;
      return s.cron->next_after(after, s.zone).value_or(0);
  }
  return 0;
}

TimeMs first_run(const Schedule& s, TimeMs now) {
  if (s.info.spec.max_runs != 0 && s.info.run_count >= s.info.spec.max_runs) return 0;
  if (s.info.spec.kind == protocol::ScheduleKind::kOnce) {
    // a one-off whose time passed while it was disabled (or before it was created) runs now
    return s.info.run_count == 0 ? std::max(s.info.spec.at_ms, now) : 0;
  }
  return next_run_after(s, now - 1);
}

}  // namespace symphony::broker
