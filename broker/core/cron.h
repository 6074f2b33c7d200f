#pragma once
// Cron expressions for recurring schedules, evaluated in an IANA time zone (Howard Hinnant's
// date/tz over the system tz database).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <date/tz.h>

namespace symphony::broker {

/// A cron expression: 5 fields "minute hour day-of-month month day-of-week" or 6 fields with
/// seconds first. Each field: *, a number, a range a-b, a step */n or a-b/n or a/n (a/n = a-max/n),
/// or a comma list of those. Months 1-12 or JAN..DEC, weekdays 0-7 (0 and 7 = Sunday) or SUN..SAT,
/// names case-insensitive. When both day-of-month and day-of-week are restricted (neither is *),
/// a day matches if either does (Vixie cron). Also accept the macros @yearly/@annually, @monthly,
/// @weekly, @daily/@midnight, @hourly.
///
/// As in Vixie cron, a day field counts as "*" when its text starts with '*', so "*/2" in the
/// day-of-month field is unrestricted for the OR rule (the day must then match both fields).
class CronExpression {
 public:
  /// nullopt on error, with `error` saying which field and what is wrong, e.g.
  /// "field 2 (hour): 24 is outside 0-23", "expected 5 or 6 fields, got 4".
  static std::optional<CronExpression> parse(std::string_view text, std::string& error);

  /// The first instant strictly after `after_ms` whose wall-clock time in `zone` matches.
  /// Daylight saving: a local time that does not exist (spring-forward gap) fires once, at the
  /// instant the gap ends (so a daily 02:30 job runs at 03:00 local on that day, once); a local
  /// time that occurs twice (fall-back) fires only at its first occurrence (a daily 01:30 job runs
  /// once that day, not twice). Candidates are walked in local wall-clock order from the local
  /// time of `after_ms`, so a job never fires twice for one wall-clock slot: several gap slots
  /// and the slot at the gap's end collapse into one firing. nullopt if nothing matches within
  /// 5 years (e.g. "0 0 30 2 *"), or if `after_ms` is outside years 1..9999. A null `zone` means
  /// UTC. Never throws.
  ///
  /// Limitation: date/tz reads only the transitions listed in the zone files (Debian ships
  /// them up to 2037), so beyond 2037 a zone stays on its last offset (no DST).
  std::optional<int64_t> next_after(int64_t after_ms, const date::time_zone* zone) const;

  bool has_seconds() const { return has_seconds_; }
  /// The original text.
  const std::string& text() const { return text_; }

 private:
  CronExpression() = default;

  /// The first matching local wall-clock time at or after `start`, within 5 years of it.
  std::optional<date::local_seconds> next_local(date::local_seconds start) const;
  /// Days of month (bits 1..31) of `y`-`m` that match the day-of-month / day-of-week rule.
  uint32_t day_mask(int y, unsigned m) const;

  std::string text_;
  uint64_t seconds_ = 0;   // bits 0-59
  uint64_t minutes_ = 0;   // bits 0-59
  uint32_t hours_ = 0;     // bits 0-23
  uint32_t dom_ = 0;       // bits 1-31
  uint16_t months_ = 0;    // bits 1-12
  uint8_t dow_ = 0;        // bits 0-6, 0 = Sunday
  bool dom_star_ = false;  // field text starts with '*'
  bool dow_star_ = false;
  bool has_seconds_ = false;
};

/// An IANA zone by name ("UTC", "Europe/Paris", "America/New_York"); nullptr when unknown
/// (never throws).
const date::time_zone* find_time_zone(std::string_view name);

}  // namespace symphony::broker
