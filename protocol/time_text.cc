#include "protocol/time_text.h"

#include <date/date.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <sstream>

namespace symphony::protocol {

bool parse_time_ms(const std::string& text, int64_t& unix_ms) {
  if (text.empty()) return false;
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), unix_ms);
    return ec == std::errc() && end == text.data() + text.size();
  }
  // %T reads fractional seconds into milliseconds; %Ez reads "+01:00"; no zone means UTC
  static constexpr const char* kFormats[] = {"%FT%T%Ez", "%FT%TZ", "%FT%T", "%F %T%Ez",
                                             "%F %TZ",   "%F %T",  "%F"};
  for (const char* format : kFormats) {
    std::istringstream in(text);
    date::sys_time<std::chrono::milliseconds> tp;
    in >> date::parse(format, tp);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
      unix_ms = tp.time_since_epoch().count();
      return true;
    }
  }
  return false;
}

}  // namespace symphony::protocol
