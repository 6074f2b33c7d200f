#include "broker/core/cron.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace symphony::broker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kHourMs = 3600 * 1000;

int64_t to_ms(date::sys_seconds t) {
  return int64_t(t.time_since_epoch().count()) * 1000;
}

date::local_seconds wall(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return date::local_days{date::year{y} / date::month{m} / date::day{d}} +
         std::chrono::seconds{h * 3600 + mi * 60 + s};
}

/// A UTC instant in milliseconds.
int64_t utc(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return to_ms(date::sys_seconds{wall(y, m, d, h, mi, s).time_since_epoch()});
}

/// A wall-clock time in `zone` converted by date itself (throws unless the time is unique).
int64_t local(const date::time_zone* zone, int y, unsigned m, unsigned d, int h, int mi = 0) {
  return to_ms(zone->to_sys(wall(y, m, d, h, mi)));
}

std::string iso(int64_t ms) {
  return date::format("%FT%TZ", date::sys_seconds{std::chrono::seconds{ms / 1000}});
}

const date::time_zone* zone(std::string_view name) {
  const date::time_zone* z = find_time_zone(name);
  EXPECT_NE(z, nullptr) << name;
  return z;
}

CronExpression cron(std::string_view text) {
  std::string error;
  std::optional<CronExpression> expr = CronExpression::parse(text, error);
  if (!expr) {
    ADD_FAILURE() << "parse(\"" << text << "\"): " << error;
    return *CronExpression::parse("* * * * *", error);
  }
  return *expr;
}

std::string parse_error(std::string_view text) {
  std::string error;
  EXPECT_EQ(CronExpression::parse(text, error), std::nullopt) << text;
  return error;
}

/// The next `n` firings after `from`, chaining next_after, as ISO UTC strings.
std::vector<std::string> fire(std::string_view text, int64_t from, int n,
                              const date::time_zone* z = nullptr) {
  CronExpression expr = cron(text);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::optional<int64_t> next = expr.next_after(from, z);
    if (!next) break;
    EXPECT_GT(*next, from);
    out.push_back(iso(*next));
    from = *next;
  }
  return out;
}

/// Every firing in [begin, end).
std::vector<int64_t> firings_between(const CronExpression& expr, int64_t begin, int64_t end,
                                     const date::time_zone* z) {
  std::vector<int64_t> out;
  int64_t at = begin - 1;
  while (true) {
    std::optional<int64_t> next = expr.next_after(at, z);
    if (!next || *next >= end) return out;
    out.push_back(*next);
    at = *next;
  }
}

// ---------------------------------------------------------------- parsing

TEST(CronParse, KeepsTextAndSecondsFlag) {
  CronExpression five = cron("0 9 * * MON-FRI");
  EXPECT_EQ(five.text(), "0 9 * * MON-FRI");
  EXPECT_FALSE(five.has_seconds());
  CronExpression six = cron("*/10 * * * * *");
  EXPECT_EQ(six.text(), "*/10 * * * * *");
  EXPECT_TRUE(six.has_seconds());
  EXPECT_FALSE(cron("@daily").has_seconds());
  EXPECT_EQ(cron("@daily").text(), "@daily");
}

TEST(CronParse, NumberListRangeAndSteps) {
  // 0 | 15-17 | */20 = 0,20,40 | 50/4 = 50,54,58
  EXPECT_THAT(fire("0,15-17,*/20,50/4 * * * *", utc(2026, 1, 1), 10),
              ElementsAre("2026-01-01T00:15:00Z", "2026-01-01T00:16:00Z", "2026-01-01T00:17:00Z",
                          "2026-01-01T00:20:00Z", "2026-01-01T00:40:00Z", "2026-01-01T00:50:00Z",
                          "2026-01-01T00:54:00Z", "2026-01-01T00:58:00Z", "2026-01-01T01:00:00Z",
                          "2026-01-01T01:15:00Z"));
  EXPECT_THAT(fire("10-30/10 * * * *", utc(2026, 1, 1), 4),
              ElementsAre("2026-01-01T00:10:00Z", "2026-01-01T00:20:00Z", "2026-01-01T00:30:00Z",
                          "2026-01-01T01:10:00Z"));
  // A step larger than the rest of the range fires only at its start.
  EXPECT_THAT(fire("45/30 */12 * * *", utc(2026, 1, 1), 3),
              ElementsAre("2026-01-01T00:45:00Z", "2026-01-01T12:45:00Z", "2026-01-02T00:45:00Z"));
}

TEST(CronParse, ToleratesExtraWhitespace) {
  EXPECT_THAT(fire("  5\t 3   *  * *  ", utc(2026, 1, 1), 1), ElementsAre("2026-01-01T03:05:00Z"));
}

TEST(CronParse, MonthNamesAnyCase) {
  EXPECT_THAT(fire("0 0 1 jan,Jul *", utc(2026, 1, 1), 3),
              ElementsAre("2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"));
  EXPECT_THAT(fire("0 0 1 FEB-apr/2 *", utc(2026, 1, 1), 3),
              ElementsAre("2026-02-01T00:00:00Z", "2026-04-01T00:00:00Z", "2027-02-01T00:00:00Z"));
}

TEST(CronParse, WeekdayNamesAndSevenIsSunday) {
  // 2026-01-04 is a Sunday.
  const std::vector<std::string> sundays = {"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"};
  EXPECT_EQ(fire("0 0 * * 0", utc(2026, 1, 1), 2), sundays);
  EXPECT_EQ(fire("0 0 * * 7", utc(2026, 1, 1), 2), sundays);
  EXPECT_EQ(fire("0 0 * * sun", utc(2026, 1, 1), 2), sundays);
  EXPECT_EQ(fire("0 0 * * Sun", utc(2026, 1, 1), 2), sundays);
  // 5-7 = Friday, Saturday, Sunday.
  EXPECT_THAT(fire("0 0 * * 5-7", utc(2026, 1, 5), 4),
              ElementsAre("2026-01-09T00:00:00Z", "2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z",
                          "2026-01-16T00:00:00Z"));
  EXPECT_THAT(fire("0 0 * * tue,THU", utc(2026, 1, 5), 3),
              ElementsAre("2026-01-06T00:00:00Z", "2026-01-08T00:00:00Z", "2026-01-13T00:00:00Z"));
}

TEST(CronParse, MacrosEqualTheirExpansion) {
  const std::pair<const char*, const char*> macros[] = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}, {"@DAILY", "0 0 * * *"},
  };
  for (auto [macro, expansion] : macros) {
    EXPECT_EQ(fire(macro, utc(2026, 5, 17, 13, 7), 4), fire(expansion, utc(2026, 5, 17, 13, 7), 4))
        << macro;
  }
  EXPECT_THAT(fire("@weekly", utc(2026, 1, 1), 1), ElementsAre("2026-01-04T00:00:00Z"));
}

// ---------------------------------------------------------------- errors

TEST(CronParseError, OutOfRangeNamesTheField) {
  EXPECT_EQ(parse_error("0 24 * * *"), "field 2 (hour): 24 is outside 0-23");
  EXPECT_EQ(parse_error("60 * * * *"), "field 1 (minute): 60 is outside 0-59");
  EXPECT_EQ(parse_error("* * 0 * *"), "field 3 (day-of-month): 0 is outside 1-31");
  EXPECT_EQ(parse_error("* * 32 * *"), "field 3 (day-of-month): 32 is outside 1-31");
  EXPECT_EQ(parse_error("* * * 13 *"), "field 4 (month): 13 is outside 1-12");
  EXPECT_EQ(parse_error("* * * * 8"), "field 5 (day-of-week): 8 is outside 0-7");
  EXPECT_EQ(parse_error("* 1-24 * * *"), "field 2 (hour): 24 is outside 0-23");
  EXPECT_EQ(parse_error("99999999999 * * * *"), "field 1 (minute): 99999999999 is outside 0-59");
  // With seconds the numbering shifts by one.
  EXPECT_EQ(parse_error("60 * * * * *"), "field 1 (second): 60 is outside 0-59");
  EXPECT_EQ(parse_error("0 0 24 * * *"), "field 3 (hour): 24 is outside 0-23");
  EXPECT_EQ(parse_error("0 0 0 * * 9"), "field 6 (day-of-week): 9 is outside 0-7");
}

TEST(CronParseError, BadStep) {
  EXPECT_EQ(parse_error("*/0 * * * *"), "field 1 (minute): bad step 0 (must be at least 1)");
  EXPECT_THAT(parse_error("0 1-5/0 * * *"), StartsWith("field 2 (hour): bad step 0"));
  EXPECT_EQ(parse_error("*/ * * * *"), "field 1 (minute): missing step after '/' in '*/'");
  EXPECT_THAT(parse_error("0 0 */x * *"), StartsWith("field 3 (day-of-month): bad step 'x'"));
  EXPECT_THAT(parse_error("*/61 * * * *"), StartsWith("field 1 (minute): bad step 61"));
}

TEST(CronParseError, BadRange) {
  EXPECT_EQ(parse_error("5-2 * * * *"), "field 1 (minute): bad range 5-2 (start is after end)");
  EXPECT_THAT(parse_error("0 0 * * FRI-MON"), StartsWith("field 5 (day-of-week): bad range"));
  EXPECT_THAT(parse_error("0 0 * DEC-JAN *"), StartsWith("field 4 (month): bad range"));
  EXPECT_EQ(parse_error("-1 * * * *"), "field 1 (minute): missing value");
  EXPECT_EQ(parse_error("1- * * * *"), "field 1 (minute): missing value");
}

TEST(CronParseError, UnknownName) {
  EXPECT_EQ(parse_error("* * * FOO *"), "field 4 (month): unknown name 'FOO'");
  EXPECT_EQ(parse_error("* * * * FUNDAY"), "field 5 (day-of-week): unknown name 'FUNDAY'");
  EXPECT_EQ(parse_error("* * * MON *"), "field 4 (month): unknown name 'MON'");
  EXPECT_EQ(parse_error("* * * * JAN"), "field 5 (day-of-week): unknown name 'JAN'");
  EXPECT_EQ(parse_error("abc * * * *"), "field 1 (minute): 'abc' is not a number");
  EXPECT_EQ(parse_error("* * MON * *"), "field 3 (day-of-month): 'MON' is not a number");
}

TEST(CronParseError, WrongFieldCount) {
  EXPECT_EQ(parse_error("* * * *"), "expected 5 or 6 fields, got 4");
  EXPECT_EQ(parse_error("*"), "expected 5 or 6 fields, got 1");
  EXPECT_EQ(parse_error("* * * * * * *"), "expected 5 or 6 fields, got 7");
}

TEST(CronParseError, EmptyAndGarbage) {
  EXPECT_EQ(parse_error(""), "empty expression");
  EXPECT_EQ(parse_error(" \t "), "empty expression");
  EXPECT_EQ(parse_error("1x * * * *"), "field 1 (minute): unexpected '1x'");
  EXPECT_EQ(parse_error("#$% * * * *"), "field 1 (minute): unexpected '#$%'");
  EXPECT_EQ(parse_error("1,,2 * * * *"), "field 1 (minute): empty list element");
  EXPECT_EQ(parse_error("0 0 1, * *"), "field 3 (day-of-month): empty list element");
  EXPECT_EQ(parse_error("0 0 * * ?"), "field 5 (day-of-week): unexpected '?'");
  EXPECT_EQ(parse_error("@reboot"), "unknown macro '@reboot'");
  EXPECT_EQ(parse_error("@daily 5"), "unexpected '5' after @daily");
}

// ---------------------------------------------------------------- next_after in UTC

TEST(CronNextUtc, EveryMinuteAndStrictness) {
  CronExpression expr = cron("* * * * *");
  EXPECT_EQ(expr.next_after(utc(2026, 1, 1, 10, 0, 30) + 500, nullptr), utc(2026, 1, 1, 10, 1));
  // Exactly on a match: the next one, not the same.
  EXPECT_EQ(expr.next_after(utc(2026, 1, 1, 10, 1), nullptr), utc(2026, 1, 1, 10, 2));
  // One millisecond before a match: that match.
  EXPECT_EQ(expr.next_after(utc(2026, 1, 1, 10, 2) - 1, nullptr), utc(2026, 1, 1, 10, 2));
  // End of year rolls over.
  EXPECT_EQ(expr.next_after(utc(2026, 12, 31, 23, 59), nullptr), utc(2027, 1, 1));
}

TEST(CronNextUtc, EveryQuarterHour) {
  EXPECT_THAT(fire("*/15 * * * *", utc(2026, 1, 1, 10, 7), 4),
              ElementsAre("2026-01-01T10:15:00Z", "2026-01-01T10:30:00Z", "2026-01-01T10:45:00Z",
                          "2026-01-01T11:00:00Z"));
  EXPECT_EQ(cron("*/15 * * * *").next_after(utc(2026, 1, 1, 10, 15), nullptr),
            utc(2026, 1, 1, 10, 30));
}

TEST(CronNextUtc, WeekdaysSkipTheWeekend) {
  // 2026-01-09 is a Friday: after its 09:00 the next is Monday 2026-01-12.
  CronExpression expr = cron("0 9 * * MON-FRI");
  std::optional<int64_t> next = expr.next_after(utc(2026, 1, 9, 10), nullptr);
  ASSERT_TRUE(next);
  EXPECT_EQ(iso(*next), "2026-01-12T09:00:00Z");
  const date::sys_days day =
      date::floor<date::days>(date::sys_seconds{std::chrono::seconds{*next / 1000}});
  EXPECT_EQ(date::weekday{day}, date::Monday);
  EXPECT_EQ(expr.next_after(utc(2026, 1, 9, 8), nullptr), utc(2026, 1, 9, 9));
}

TEST(CronNextUtc, FirstOfMonthAcrossMonthEndsAndLeapYear) {
  EXPECT_THAT(fire("0 0 1 * *", utc(2026, 1, 31, 12), 3),
              ElementsAre("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"));
  // 2028 is a leap year: February has 29 days, March 1 is still the next first.
  EXPECT_THAT(fire("0 0 1 * *", utc(2028, 2, 28, 12), 1), ElementsAre("2028-03-01T00:00:00Z"));
  EXPECT_THAT(fire("0 0 * * *", utc(2028, 2, 28, 12), 2),
              ElementsAre("2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z"));
  EXPECT_THAT(fire("0 0 * * *", utc(2026, 2, 28, 12), 1), ElementsAre("2026-03-01T00:00:00Z"));
  // The 31st skips 30-day months.
  EXPECT_THAT(fire("0 0 31 * *", utc(2026, 4, 1), 3),
              ElementsAre("2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z"));
}

TEST(CronNextUtc, LeapDay) {
  EXPECT_THAT(fire("0 0 29 2 *", utc(2026, 3, 7), 3),
              ElementsAre("2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z"));
}

TEST(CronNextUtc, SecondsField) {
  EXPECT_THAT(fire("*/10 * * * * *", utc(2026, 1, 1, 10), 7),
              ElementsAre("2026-01-01T10:00:10Z", "2026-01-01T10:00:20Z", "2026-01-01T10:00:30Z",
                          "2026-01-01T10:00:40Z", "2026-01-01T10:00:50Z", "2026-01-01T10:01:00Z",
                          "2026-01-01T10:01:10Z"));
  EXPECT_EQ(cron("*/10 * * * * *").next_after(utc(2026, 1, 1, 10, 0, 55) + 500, nullptr),
            utc(2026, 1, 1, 10, 1));
  EXPECT_EQ(cron("30 0 0 1 1 *").next_after(utc(2026, 6, 1), nullptr), utc(2027, 1, 1, 0, 0, 30));
}

TEST(CronNextUtc, DayOfMonthOrDayOfWeek) {
  // January 2026: Fridays are 2, 9, 16, 23, 30; the 13th is a Tuesday.
  EXPECT_THAT(fire("0 0 13 * FRI", utc(2026, 1, 1), 5),
              ElementsAre("2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z",
                          "2026-01-16T00:00:00Z", "2026-01-23T00:00:00Z"));
  // Only one side restricted: that side alone.
  EXPECT_THAT(fire("0 0 13 * *", utc(2026, 1, 1), 2),
              ElementsAre("2026-01-13T00:00:00Z", "2026-02-13T00:00:00Z"));
  EXPECT_THAT(fire("0 0 * * FRI", utc(2026, 1, 1), 2),
              ElementsAre("2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z"));
  // Vixie: a field starting with '*' counts as unrestricted, so both must match (odd Fridays).
  EXPECT_THAT(fire("0 0 */2 * FRI", utc(2026, 1, 1), 3),
              ElementsAre("2026-01-09T00:00:00Z", "2026-01-23T00:00:00Z", "2026-02-13T00:00:00Z"));
}

TEST(CronNextUtc, DailyAndHourlyMacros) {
  EXPECT_THAT(fire("@daily", utc(2026, 1, 1, 0, 0, 1), 2),
              ElementsAre("2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"));
  EXPECT_THAT(fire("@hourly", utc(2026, 1, 1, 23, 30), 2),
              ElementsAre("2026-01-02T00:00:00Z", "2026-01-02T01:00:00Z"));
  EXPECT_THAT(fire("@yearly", utc(2026, 1, 1), 1), ElementsAre("2027-01-01T00:00:00Z"));
  EXPECT_THAT(fire("@monthly", utc(2026, 1, 1), 1), ElementsAre("2026-02-01T00:00:00Z"));
}

TEST(CronNextUtc, NothingMatches) {
  EXPECT_EQ(cron("0 0 30 2 *").next_after(utc(2026, 1, 1), nullptr), std::nullopt);
  EXPECT_EQ(cron("0 0 31 4,6,9,11 *").next_after(utc(2026, 1, 1), nullptr), std::nullopt);
  // The next leap day after 2097 is in 2104, beyond the 5-year horizon.
  EXPECT_EQ(cron("0 0 29 2 *").next_after(utc(2097, 1, 1), nullptr), std::nullopt);
  // Outside years 1..9999.
  EXPECT_EQ(cron("* * * * *").next_after(INT64_MAX, nullptr), std::nullopt);
  EXPECT_EQ(cron("* * * * *").next_after(INT64_MIN, nullptr), std::nullopt);
}

TEST(CronNextUtc, NullZoneIsUtc) {
  const date::time_zone* z = zone("UTC");
  CronExpression expr = cron("17 */5 * * TUE");
  int64_t at = utc(2026, 1, 1);
  for (int i = 0; i < 50; ++i) {
    std::optional<int64_t> a = expr.next_after(at, nullptr);
    ASSERT_TRUE(a);
    EXPECT_EQ(expr.next_after(at, z), a);
    at = *a;
  }
}

// Cross-check against a brute-force scan over whole minutes, via date's own conversions, on a
// stretch of Paris time with no transition.
TEST(CronNextUtc, MatchesBruteForceScan) {
  struct Wall {
    int minute, hour, dom, month, dow;
  };
  struct Case {
    const char* text;
    bool (*match)(const Wall&);
  };
  const Case cases[] = {
      {"*/7 3-17 * * *",
       [](const Wall& w) { return w.minute % 7 == 0 && w.hour >= 3 && w.hour <= 17; }},
      {"0 0 13 * FRI",
       [](const Wall& w) { return w.minute == 0 && w.hour == 0 && (w.dom == 13 || w.dow == 5); }},
      {"5 4 */3 FEB-MAY SUN,WED",
       [](const Wall& w) {
         return w.minute == 5 && w.hour == 4 && (w.dom - 1) % 3 == 0 && w.month >= 2 &&
                w.month <= 5 && (w.dow == 0 || w.dow == 3);
       }},
      {"59 23 31 * *", [](const Wall& w) { return w.minute == 59 && w.hour == 23 && w.dom == 31; }},
  };
  const date::time_zone* paris = zone("Europe/Paris");
  const int64_t begin = utc(2026, 4, 1);
  const int64_t end = utc(2026, 8, 1);
  for (const Case& c : cases) {
    std::vector<int64_t> slow;
    for (int64_t t = begin; t < end; t += 60 * 1000) {
      const auto lt = paris->to_local(date::sys_seconds{std::chrono::seconds{t / 1000}});
      const date::local_days ld = date::floor<date::days>(lt);
      const date::year_month_day ymd{ld};
      const auto tod = date::make_time(lt - ld);
      const Wall w{int(tod.minutes().count()), int(tod.hours().count()), int(unsigned(ymd.day())),
                   int(unsigned(ymd.month())), int(date::weekday{ld}.c_encoding())};
      if (c.match(w)) slow.push_back(t);
    }
    EXPECT_FALSE(slow.empty()) << c.text;
    EXPECT_EQ(firings_between(cron(c.text), begin, end, paris), slow) << c.text;
  }
}

// ---------------------------------------------------------------- daylight saving

// America/New_York 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
TEST(CronDst, NewYorkSpringForwardDailyInGap) {
  const date::time_zone* ny = zone("America/New_York");
  CronExpression expr = cron("30 2 * * *");
  const int64_t day1 = expr.next_after(utc(2026, 3, 7), ny).value_or(0);
  EXPECT_EQ(day1, utc(2026, 3, 7, 7, 30));
  EXPECT_EQ(day1, local(ny, 2026, 3, 7, 2, 30));
  // 02:30 does not exist on the 8th: once, at the end of the gap (03:00 EDT).
  const int64_t day2 = expr.next_after(day1, ny).value_or(0);
  EXPECT_EQ(day2, utc(2026, 3, 8, 7));
  EXPECT_EQ(day2, local(ny, 2026, 3, 8, 3, 0));
  const int64_t day3 = expr.next_after(day2, ny).value_or(0);
  EXPECT_EQ(day3, utc(2026, 3, 9, 6, 30));
  EXPECT_EQ(day3, local(ny, 2026, 3, 9, 2, 30));
  // From inside the day, before the gap: the same single firing.
  EXPECT_EQ(expr.next_after(utc(2026, 3, 8, 6, 59), ny), utc(2026, 3, 8, 7));

  // Walking: exactly one firing per local day.
  std::vector<std::string> walked = fire("30 2 * * *", utc(2026, 3, 7), 5, ny);
  EXPECT_THAT(walked,
              ElementsAre("2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z",
                          "2026-03-10T06:30:00Z", "2026-03-11T06:30:00Z"));
}

TEST(CronDst, NewYorkSpringForwardEveryMinuteCollapsesTheGap) {
  const date::time_zone* ny = zone("America/New_York");
  // 01:58 EST, 01:59 EST, then 02:00..02:59 and 03:00 all map to 07:00Z: one firing, then 03:01.
  EXPECT_THAT(fire("* * * * *", utc(2026, 3, 8, 6, 57), 4, ny),
              ElementsAre("2026-03-08T06:58:00Z", "2026-03-08T06:59:00Z", "2026-03-08T07:00:00Z",
                          "2026-03-08T07:01:00Z"));
}

// America/New_York 2026-11-01: 02:00 EDT falls back to 01:00 EST (06:00Z); 01:xx happens twice.
TEST(CronDst, NewYorkFallBackDailyInRepeatedHour) {
  const date::time_zone* ny = zone("America/New_York");
  CronExpression expr = cron("30 1 * * *");
  EXPECT_EQ(expr.next_after(utc(2026, 10, 31), ny), utc(2026, 10, 31, 5, 30));
  EXPECT_EQ(expr.next_after(utc(2026, 10, 31), ny), local(ny, 2026, 10, 31, 1, 30));
  // Only the first 01:30 (EDT).
  const int64_t first = expr.next_after(utc(2026, 10, 31, 5, 30), ny).value_or(0);
  EXPECT_EQ(first, utc(2026, 11, 1, 5, 30));
  EXPECT_EQ(first, to_ms(ny->to_sys(wall(2026, 11, 1, 1, 30), date::choose::earliest)));
  const int64_t next = expr.next_after(first, ny).value_or(0);
  EXPECT_EQ(next, utc(2026, 11, 2, 6, 30));
  EXPECT_EQ(next, local(ny, 2026, 11, 2, 1, 30));
  // From inside the second pass (01:00 EST and 01:20 EST): not 01:30 EST, tomorrow.
  EXPECT_EQ(expr.next_after(utc(2026, 11, 1, 6), ny), utc(2026, 11, 2, 6, 30));
  EXPECT_EQ(expr.next_after(utc(2026, 11, 1, 6, 20), ny), utc(2026, 11, 2, 6, 30));
  // From the first pass, before 01:30 EDT: that one.
  EXPECT_EQ(expr.next_after(utc(2026, 11, 1, 5, 10), ny), utc(2026, 11, 1, 5, 30));

  EXPECT_THAT(fire("30 1 * * *", utc(2026, 10, 30), 5, ny),
              ElementsAre("2026-10-30T05:30:00Z", "2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z",
                          "2026-11-02T06:30:00Z", "2026-11-03T06:30:00Z"));
}

TEST(CronDst, NewYorkFallBackSecondsSkipTheRepeatedHour) {
  const date::time_zone* ny = zone("America/New_York");
  CronExpression expr = cron("* * * * * *");
  // At 01:00:00 EST every 01:xx:xx already fired in EDT: next is 02:00:00 EST.
  EXPECT_EQ(expr.next_after(utc(2026, 11, 1, 6), ny), utc(2026, 11, 1, 7));
  EXPECT_EQ(expr.next_after(utc(2026, 11, 1, 5, 59, 59), ny), utc(2026, 11, 1, 7));
  EXPECT_EQ(expr.next_after(utc(2026, 11, 1, 5, 59, 58), ny), utc(2026, 11, 1, 5, 59, 59));
}

TEST(CronDst, NewYorkHourlyAcrossTransitions) {
  const date::time_zone* ny = zone("America/New_York");
  CronExpression hourly = cron("0 * * * *");

  // Spring forward: the local day has 23 hours; 02:00 (gap) and 03:00 share 07:00Z, fired once.
  std::vector<int64_t> spring =
      firings_between(hourly, local(ny, 2026, 3, 8, 0), local(ny, 2026, 3, 9, 0), ny);
  EXPECT_EQ(spring.size(), 23u);
  EXPECT_EQ(std::set<int64_t>(spring.begin(), spring.end()).size(), spring.size());

  // Fall back: the local day has 25 hours but 24 wall-clock hours; each fires once, so 24.
  // 01:00 fires at 01:00 EDT (05:00Z); 01:00 EST (06:00Z) is the same wall-clock slot and
  // does not fire; next is 02:00 EST (07:00Z).
  std::vector<int64_t> fall =
      firings_between(hourly, local(ny, 2026, 11, 1, 0), local(ny, 2026, 11, 2, 0), ny);
  EXPECT_EQ(fall.size(), 24u);
  std::set<int> wall_hours;
  for (int64_t t : fall) {
    const auto lt = ny->to_local(date::sys_seconds{std::chrono::seconds{t / 1000}});
    wall_hours.insert(int(date::make_time(lt - date::floor<date::days>(lt)).hours().count()));
  }
  EXPECT_EQ(wall_hours.size(), 24u);
  EXPECT_NE(std::find(fall.begin(), fall.end(), utc(2026, 11, 1, 5)), fall.end());
  EXPECT_EQ(std::find(fall.begin(), fall.end(), utc(2026, 11, 1, 6)), fall.end());
  EXPECT_NE(std::find(fall.begin(), fall.end(), utc(2026, 11, 1, 7)), fall.end());
  // An ordinary day: 24.
  EXPECT_EQ(firings_between(hourly, local(ny, 2026, 6, 1, 0), local(ny, 2026, 6, 2, 0), ny).size(),
            24u);
  // Consecutive firings are an hour apart, except around the transitions.
  EXPECT_EQ(fall[2] - fall[1], 2 * kHourMs);
}

// Europe/Paris: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z); 2026-10-25 03:00 CEST -> 02:00 CET
// (01:00Z), so 02:xx happens twice.
TEST(CronDst, ParisTwoThirty) {
  const date::time_zone* paris = zone("Europe/Paris");
  EXPECT_THAT(fire("30 2 * * *", utc(2026, 3, 27, 12), 4, paris),
              ElementsAre("2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z",
                          "2026-03-31T00:30:00Z"));
  CronExpression expr = cron("30 2 * * *");
  EXPECT_EQ(expr.next_after(utc(2026, 3, 27, 12), paris), local(paris, 2026, 3, 28, 2, 30));
  EXPECT_EQ(expr.next_after(utc(2026, 3, 28, 12), paris), local(paris, 2026, 3, 29, 3, 0));
  EXPECT_EQ(expr.next_after(utc(2026, 3, 29, 12), paris), local(paris, 2026, 3, 30, 2, 30));

  EXPECT_THAT(fire("30 2 * * *", utc(2026, 10, 23, 12), 4, paris),
              ElementsAre("2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z",
                          "2026-10-27T01:30:00Z"));
  EXPECT_EQ(expr.next_after(utc(2026, 10, 24, 12), paris),
            to_ms(paris->to_sys(wall(2026, 10, 25, 2, 30), date::choose::earliest)));
  // From the second 02:00 (CET), the second 02:30 does not fire.
  EXPECT_EQ(expr.next_after(utc(2026, 10, 25, 1), paris), local(paris, 2026, 10, 26, 2, 30));
}

TEST(CronDst, WalkOneFiringPerDayAcrossTransitions) {
  struct Case {
    const char* zone;
    const char* expr;
    date::local_days first_day;
  };
  const Case cases[] = {
      {"America/New_York", "30 2 * * *", date::local_days{date::year{2026} / 3 / 6}},
      {"America/New_York", "30 1 * * *", date::local_days{date::year{2026} / 10 / 30}},
      {"Europe/Paris", "30 2 * * *", date::local_days{date::year{2026} / 3 / 27}},
      {"Europe/Paris", "30 2 * * *", date::local_days{date::year{2026} / 10 / 23}},
  };
  for (const Case& c : cases) {
    const date::time_zone* z = zone(c.zone);
    CronExpression expr = cron(c.expr);
    int64_t at = to_ms(z->to_sys(c.first_day));
    for (int i = 0; i < 5; ++i) {
      std::optional<int64_t> next = expr.next_after(at, z);
      ASSERT_TRUE(next) << c.zone << " " << c.expr;
      const auto lt = z->to_local(date::sys_seconds{std::chrono::seconds{*next / 1000}});
      EXPECT_EQ(date::floor<date::days>(lt), c.first_day + date::days{i}) << c.zone << " " << i;
      at = *next;
    }
  }
}

// ---------------------------------------------------------------- zones

TEST(CronZone, FindTimeZone) {
  EXPECT_EQ(find_time_zone("Mars/Olympus"), nullptr);
  EXPECT_EQ(find_time_zone(""), nullptr);
  ASSERT_NE(find_time_zone("UTC"), nullptr);
  ASSERT_NE(find_time_zone("Europe/Paris"), nullptr);
  EXPECT_EQ(find_time_zone("Europe/Paris")->name(), "Europe/Paris");
  EXPECT_NE(find_time_zone("America/New_York"), nullptr);
}

}  // namespace
}  // namespace symphony::broker
