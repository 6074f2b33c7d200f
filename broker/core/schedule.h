#pragma once
// A schedule in the core: its persisted state (protocol::ScheduleInfo, logged whole as a
// schedule_set record on every change) plus what is derived from it in memory (the parsed cron
// expression, the time zone, the encoded headers of its message).
//
// When it runs:
//   once      at spec.at_ms (at once, if that is already past when it is created or enabled)
//   interval  at spec.start_at_ms + k * interval_ms (start_at defaults to creation + interval);
//             a slot missed while the broker was down is not repeated: the next run is the first
//             slot after now
//   cron      the next match of the expression in spec.timezone (cron.h: daylight saving)
// A schedule stops once run_count reaches max_runs (0: no limit).
#include <optional>
#include <string>

#include "broker/core/cron.h"
#include "broker/core/types.h"
#include "protocol/schedule.h"

namespace symphony::broker {

struct Schedule {
  protocol::ScheduleInfo info;
  // ---- derived, in memory only ----
  std::optional<CronExpression> cron;
  const date::time_zone* zone = nullptr;
  std::string header_bytes;  ///< encoded custom headers of the message (protocol Headers pairs)
};

/// Checks the timing part of a spec and fills the derived fields. Returns "" when valid, else a
/// sentence naming the field ("cron: field 2 (hour): 24 is outside 0-23").
std::string prepare_schedule(Schedule& s);
/// The first run strictly after `after`, or 0 for none (once, or max_runs reached).
TimeMs next_run_after(const Schedule& s, TimeMs after);
/// The first run of a schedule created or enabled at `now` (0: none).
TimeMs first_run(const Schedule& s, TimeMs now);

}  // namespace symphony::broker
