// The formatting half of time_text.h. It has a file of its own because date::parse, which
// time_text.cc used to call, drew a -Wmaybe-uninitialized from GCC 12 at -O3 (inside <chrono>)
// once this formatter changed beside it. The warning was right: date 3.0.1 converts an
// uninitialized seconds value when reading them fails, which the time_text fuzzer found as
// undefined behaviour; time_text.cc now reads times by hand, and this file does its calendar
// arithmetic in 64 bits.
#include <fmt/format.h>

#include <algorithm>

#include "protocol/time_text.h"

namespace symphony::protocol {

namespace {

struct Civil {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days) in
// 64-bit arithmetic: date::year_month_day keeps days in an int, whose arithmetic overflows
// (undefined behaviour) for times beyond about the year 5.8 million, and a log or a client can
// carry any int64 (found by tests/fuzz/time_text_fuzzer).
Civil civil_from_days(int64_t z) {
  z += 719'468;
  const int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const auto doe = static_cast<unsigned>(z - era * 146'097);                     // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                  // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                                       // [0, 11]
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

}  // namespace

size_t format_iso8601_ms_to(int64_t unix_ms, char* out) {
  constexpr int64_t kMsPerDay = 86'400'000;
  int64_t days = unix_ms / kMsPerDay;
  int64_t in_day = unix_ms % kMsPerDay;
  if (in_day < 0) {  // floor, not truncate: -1 ms is 1969-12-31T23:59:59.999Z
    in_day += kMsPerDay;
    --days;
  }
  const Civil date = civil_from_days(days);
  const auto hours = static_cast<unsigned>(in_day / 3'600'000);
  const auto minutes = static_cast<unsigned>(in_day / 60'000 % 60);
  const auto seconds = static_cast<unsigned>(in_day / 1000 % 60);
  const auto millis = static_cast<unsigned>(in_day % 1000);
  if (date.year < 0 || date.year > 9999) {
    const auto r =
        fmt::format_to_n(out, kIso8601MsMaxBytes, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                         date.year, date.month, date.day, hours, minutes, seconds, millis);
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
  digits(0, static_cast<unsigned>(date.year), 4);
  out[4] = '-';
  digits(5, date.month, 2);
  out[7] = '-';
  digits(8, date.day, 2);
  out[10] = 'T';
  digits(11, hours, 2);
  out[13] = ':';
  digits(14, minutes, 2);
  out[16] = ':';
  digits(17, seconds, 2);
  out[19] = '.';
  digits(20, millis, 3);
  out[23] = 'Z';
  return 24;
}

std::string format_iso8601_ms(int64_t unix_ms) {
  char buf[kIso8601MsMaxBytes];
  return std::string(buf, format_iso8601_ms_to(unix_ms, buf));
}

}  // namespace symphony::protocol
