#include "protocol/time_text.h"

#include <date/date.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string_view>

namespace symphony::protocol {

namespace {

// A hand-written reader, not date::parse: date 3.0.1 reads the seconds of %T / %S into an
// uninitialized long double and converts it even when reading them failed, which is undefined
// behaviour on text such as "17-7-73" or "2026-11-22Tab" (found by tests/fuzz/time_text_fuzzer;
// the same variable drew GCC's -Wmaybe-uninitialized, see time_text_format.cc). The grammar is
// small enough to read exactly.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool at_end() const { return pos_ == s_.size(); }
  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  /// Exactly `n` digits.
  bool number(size_t n, int& out) {
    if (s_.size() - pos_ < n) return false;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      const char c = s_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    out = v;
    return true;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

constexpr int64_t kMsPerMinute = 60'000;

}  // namespace

bool parse_time_ms(const std::string& text, int64_t& unix_ms) {
  if (text.empty()) return false;
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), unix_ms);
    return ec == std::errc() && end == text.data() + text.size();
  }
  // YYYY-MM-DD[(T| )HH:MM:SS[.f{1,9}][Z|(+|-)HH[[:]MM]]]; no zone means UTC
  Cursor c(text);
  int year = 0, month = 0, day = 0;
  if (!c.number(4, year) || !c.eat('-') || !c.number(2, month) || !c.eat('-') ||
      !c.number(2, day)) {
    return false;
  }
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return false;
  int64_t ms = int64_t{date::sys_days{ymd}.time_since_epoch().count()} * 86'400'000;
  if (c.at_end()) {
    unix_ms = ms;
    return true;
  }
  if (!c.eat('T') && !c.eat(' ')) return false;
  int hour = 0, minute = 0, second = 0;
  if (!c.number(2, hour) || !c.eat(':') || !c.number(2, minute) || !c.eat(':') ||
      !c.number(2, second) || hour > 23 || minute > 59 || second > 59) {
    return false;
  }
  ms += (int64_t{hour} * 60 + minute) * kMsPerMinute + int64_t{second} * 1000;
  if (c.eat('.')) {
    // milliseconds from the first three digits; finer ones (Python writes microseconds) are cut
    static constexpr int kScale[] = {100, 10, 1};
    int digits = 0;
    int digit = 0;
    for (; digits < 9 && c.number(1, digit); ++digits) {
      if (digits < 3) ms += int64_t{digit} * kScale[digits];
    }
    if (digits == 0) return false;
  }
  if (c.eat('Z')) {
    // UTC
  } else if (c.peek('+') || c.peek('-')) {
    const int64_t sign = c.eat('+') ? 1 : (c.eat('-'), -1);
    int oh = 0, om = 0;
    if (!c.number(2, oh) || oh > 23) return false;
    if (!c.at_end()) {
      c.eat(':');
      if (!c.number(2, om) || om > 59) return false;
    }
    ms -= sign * (int64_t{oh} * 60 + om) * kMsPerMinute;
  }
  if (!c.at_end()) return false;
  unix_ms = ms;
  return true;
}

}  // namespace symphony::protocol
