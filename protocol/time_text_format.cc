// The formatting half of time_text.h. It has a file of its own because date::parse, in
// time_text.cc, drew a false -Wmaybe-uninitialized from GCC 12 at -O3 (inside <chrono>) once
// this formatter changed beside it: the warning depends on that file's inlining.
#include <date/date.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "protocol/time_text.h"

namespace symphony::protocol {

size_t format_iso8601_ms_to(int64_t unix_ms, char* out) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{unix_ms}};
  const auto day = floor<days>(tp);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<milliseconds> t{tp - day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    const auto r = fmt::format_to_n(
        out, kIso8601MsMaxBytes, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", year,
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), t.hours().count(),
        t.minutes().count(), t.seconds().count(), t.subseconds().count());
    return std::min(r.size, kIso8601MsMaxBytes);
  }
  // fmt::format costs ~250 ns a call (bench/micro BM_DispatchedAtFormat); fixed-width digits
  // written in place are what DELIVER can afford per message
  auto digits = [&](size_t at, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i) {
      out[at + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  digits(0, static_cast<unsigned>(year), 4);
  out[4] = '-';
  digits(5, static_cast<unsigned>(ymd.month()), 2);
  out[7] = '-';
  digits(8, static_cast<unsigned>(ymd.day()), 2);
  out[10] = 'T';
  digits(11, static_cast<unsigned>(t.hours().count()), 2);
  out[13] = ':';
  digits(14, static_cast<unsigned>(t.minutes().count()), 2);
  out[16] = ':';
  digits(17, static_cast<unsigned>(t.seconds().count()), 2);
  out[19] = '.';
  digits(20, static_cast<unsigned>(t.subseconds().count()), 3);
  out[23] = 'Z';
  return 24;
}

std::string format_iso8601_ms(int64_t unix_ms) {
  char buf[kIso8601MsMaxBytes];
  return std::string(buf, format_iso8601_ms_to(unix_ms, buf));
}

}  // namespace symphony::protocol
