#include "broker/core/cron.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <vector>

namespace symphony::broker {

namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // 3-letter names, names[i] has value min + i (or nullptr)
  int name_count;
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

enum Field { kSecond, kMinute, kHour, kDayOfMonth, kMonth, kDayOfWeek };
constexpr FieldSpec kSpecs[] = {
    {"second", 0, 59, nullptr, 0},     {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},       {"day-of-month", 1, 31, nullptr, 0},
    {"month", 1, 12, kMonthNames, 12}, {"day-of-week", 0, 7, kDayNames, 7},
};

struct Macro {
  const char* name;
  const char* expansion;
};
constexpr Macro kMacros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char to_upper(char c) {
  return (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return to_upper(x) == to_upper(y);
         });
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

std::string quoted(std::string_view s) {
  // built by appends: GCC 12 at -O3 warns (-Wrestrict, a false positive) on "'" + std::string
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out.append(s);
  out += '\'';
  return out;
}

std::string range_text(const FieldSpec& spec) {
  return std::to_string(spec.min) + "-" + std::to_string(spec.max);
}

/// A number or a name, checked against the field's range.
bool parse_value(std::string_view tok, const FieldSpec& spec, int& out, std::string& err) {
  if (tok.empty()) {
    err = "missing value";
    return false;
  }
  if (std::all_of(tok.begin(), tok.end(), is_digit)) {
    // Long digit strings are out of range anyway; cap them before they overflow.
    if (tok.size() > 4) {
      err = std::string(tok) + " is outside " + range_text(spec);
      return false;
    }
    int v = 0;
    for (char c : tok) v = v * 10 + (c - '0');
    if (v < spec.min || v > spec.max) {
      err = std::to_string(v) + " is outside " + range_text(spec);
      return false;
    }
    out = v;
    return true;
  }
  if (std::all_of(tok.begin(), tok.end(), is_alpha)) {
    if (spec.names == nullptr) {
      err = quoted(tok) + " is not a number";
      return false;
    }
    for (int i = 0; i < spec.name_count; ++i) {
      if (iequals(tok, spec.names[i])) {
        out = spec.min + i;  // SUN is 0, not 7
        return true;
      }
    }
    err = "unknown name " + quoted(tok);
    return false;
  }
  err = "unexpected " + quoted(tok);
  return false;
}

/// One field (a comma list) into a bitset; bit v is value v (day-of-week 7 maps to 0).
bool parse_field(std::string_view text, const FieldSpec& spec, uint64_t& bits, std::string& err) {
  bits = 0;
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    std::string_view elem = text.substr(pos, comma == std::string_view::npos ? comma : comma - pos);
    if (elem.empty()) {
      err = "empty list element";
      return false;
    }
    size_t slash = elem.find('/');
    std::string_view base = elem.substr(0, slash);
    int lo = 0;
    int hi = 0;
    if (base == "*") {
      lo = spec.min;
      hi = spec.max;
    } else if (size_t dash = base.find('-'); dash != std::string_view::npos) {
      if (!parse_value(base.substr(0, dash), spec, lo, err) ||
          !parse_value(base.substr(dash + 1), spec, hi, err)) {
        return false;
      }
      if (lo > hi) {
        err = "bad range " + std::string(base) + " (start is after end)";
        return false;
      }
    } else {
      if (!parse_value(base, spec, lo, err)) return false;
      hi = slash == std::string_view::npos ? lo : spec.max;  // a/n means a-max/n
    }
    int step = 1;
    if (slash != std::string_view::npos) {
      std::string_view st = elem.substr(slash + 1);
      if (st.empty()) {
        err = "missing step after '/' in " + quoted(elem);
        return false;
      }
      if (!std::all_of(st.begin(), st.end(), is_digit)) {
        err = "bad step " + quoted(st) + " (not a number)";
        return false;
      }
      const int max_step = spec.max - spec.min + 1;
      step = st.size() > 4 ? max_step + 1 : std::stoi(std::string(st));
      if (step == 0) {
        err = "bad step 0 (must be at least 1)";
        return false;
      }
      if (step > max_step) {
        err = "bad step " + std::string(st) + " (must be at most " + std::to_string(max_step) + ")";
        return false;
      }
    }
    for (int v = lo; v <= hi; v += step) {
      bits |= uint64_t{1} << (v == 7 && spec.names == kDayNames ? 0 : v);
    }
    if (comma == std::string_view::npos) return true;
    pos = comma + 1;
  }
}

/// Index of the lowest set bit at or above `from`, or -1.
int next_bit(uint64_t bits, int from) {
  if (from >= 64) return -1;
  uint64_t m = bits & (~uint64_t{0} << from);
  return m == 0 ? -1 : std::countr_zero(m);
}

// Outside years 1..9999 the calendar arithmetic is not worth trusting; refuse.
constexpr int64_t kMinMs = -62135596800000;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxMs = 253402300799999;  // 9999-12-31T23:59:59.999Z

}  // namespace

std::optional<CronExpression> CronExpression::parse(std::string_view text, std::string& error) {
  std::vector<std::string_view> words = split_words(text);
  if (words.empty()) {
    error = "empty expression";
    return std::nullopt;
  }
  std::string_view body = text;
  if (words[0].front() == '@') {
    const Macro* macro = nullptr;
    for (const Macro& m : kMacros) {
      if (iequals(words[0], m.name)) macro = &m;
    }
    if (macro == nullptr) {
      error = "unknown macro " + quoted(words[0]);
      return std::nullopt;
    }
    if (words.size() != 1) {
      error = "unexpected " + quoted(words[1]) + " after " + std::string(words[0]);
      return std::nullopt;
    }
    body = macro->expansion;
    words = split_words(body);
  }
  if (words.size() != 5 && words.size() != 6) {
    error = "expected 5 or 6 fields, got " + std::to_string(words.size());
    return std::nullopt;
  }

  CronExpression expr;
  expr.text_ = std::string(text);
  expr.has_seconds_ = words.size() == 6;
  const int first = expr.has_seconds_ ? kSecond : kMinute;
  uint64_t bits[6] = {1, 0, 0, 0, 0, 0};  // without a seconds field, second 0
  for (size_t i = 0; i < words.size(); ++i) {
    const int field = first + int(i);
    std::string why;
    if (!parse_field(words[i], kSpecs[field], bits[field], why)) {
      error = "field " + std::to_string(i + 1) + " (" + kSpecs[field].name + "): " + why;
      return std::nullopt;
    }
  }
  expr.seconds_ = bits[kSecond];
  expr.minutes_ = bits[kMinute];
  expr.hours_ = uint32_t(bits[kHour]);
  expr.dom_ = uint32_t(bits[kDayOfMonth]);
  expr.months_ = uint16_t(bits[kMonth]);
  expr.dow_ = uint8_t(bits[kDayOfWeek]);
  // The last three fields are day-of-month, month, day-of-week.
  expr.dom_star_ = words[words.size() - 3].front() == '*';
  expr.dow_star_ = words[words.size() - 1].front() == '*';
  return expr;
}

uint32_t CronExpression::day_mask(int y, unsigned m) const {
  const date::year_month_day_last ymdl{date::year{y}, date::month_day_last{date::month{m}}};
  const unsigned last = unsigned(ymdl.day());
  const uint32_t valid = uint32_t((uint64_t{1} << (last + 1)) - 2);  // bits 1..last
  const unsigned w1 =
      date::weekday{date::local_days{date::year{y} / date::month{m} / 1}}.c_encoding();
  // Bit k of `week` is whether day k+1 of the month (weekday w1+k) matches; repeat it 5 times.
  const uint64_t week = ((uint64_t{dow_} >> w1) | (uint64_t{dow_} << (7 - w1))) & 0x7f;
  const uint64_t month_days = week | week << 7 | week << 14 | week << 21 | week << 28;
  const uint32_t by_dow = uint32_t(month_days << 1) & valid;
  const uint32_t by_dom = dom_ & valid;
  return (dom_star_ || dow_star_) ? (by_dom & by_dow) : (by_dom | by_dow);
}

std::optional<date::local_seconds> CronExpression::next_local(date::local_seconds start) const {
  const date::local_days day = date::floor<date::days>(start);
  const int tod = int((start - day).count());
  const date::year_month_day ymd{day};
  int y = int(ymd.year());
  unsigned mo = unsigned(ymd.month());
  int d = int(unsigned(ymd.day()));
  int h = tod / 3600;
  int mi = tod / 60 % 60;
  int s = tod % 60;
  const int limit = y * 12 + int(mo) - 1 + 5 * 12;
  int mask_key = -1;
  uint32_t dmask = 0;
  // Each miss resets the smaller fields and bumps the next larger one; an overflowing bump
  // (d = 32, h = 24, mi = 60) simply finds no bit and carries on the next pass.
  while (true) {
    const int key = y * 12 + int(mo) - 1;
    if (key > limit) return std::nullopt;
    if (!(months_ >> mo & 1)) {
      int nm = next_bit(months_, int(mo) + 1);
      if (nm < 0) {
        ++y;
        nm = std::countr_zero(months_);
      }
      mo = unsigned(nm);
      d = 1;
      h = mi = s = 0;
      continue;
    }
    if (key != mask_key) {
      dmask = day_mask(y, mo);
      mask_key = key;
    }
    const int nd = next_bit(dmask, d);
    if (nd < 0) {
      if (++mo > 12) {
        mo = 1;
        ++y;
      }
      d = 1;
      h = mi = s = 0;
      continue;
    }
    if (nd != d) {
      d = nd;
      h = mi = s = 0;
    }
    const int nh = next_bit(hours_, h);
    if (nh < 0) {
      ++d;
      h = mi = s = 0;
      continue;
    }
    if (nh != h) {
      h = nh;
      mi = s = 0;
    }
    const int nmi = next_bit(minutes_, mi);
    if (nmi < 0) {
      ++h;
      mi = s = 0;
      continue;
    }
    if (nmi != mi) {
      mi = nmi;
      s = 0;
    }
    const int ns = next_bit(seconds_, s);
    if (ns < 0) {
      ++mi;
      s = 0;
      continue;
    }
    return date::local_days{date::year{y} / date::month{mo} / date::day{unsigned(d)}} +
           std::chrono::seconds{h * 3600 + mi * 60 + ns};
  }
}

std::optional<int64_t> CronExpression::next_after(int64_t after_ms,
                                                  const date::time_zone* zone) const {
  if (after_ms < kMinMs || after_ms > kMaxMs) return std::nullopt;
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  try {
    const date::sys_time<milliseconds> after{milliseconds{after_ms}};
    const date::local_time<milliseconds> local_after =
        zone == nullptr ? date::local_time<milliseconds>{after.time_since_epoch()}
                        : zone->to_local(after);
    date::local_seconds start = date::floor<seconds>(local_after) + seconds{1};
    // Only a candidate in a fall-back's repeated hour can map before `after` (when `after` is in
    // the second pass); it is skipped past that hour, so a few rounds always suffice.
    for (int round = 0; round < 16; ++round) {
      const std::optional<date::local_seconds> local = next_local(start);
      if (!local) return std::nullopt;
      date::sys_seconds instant;
      if (zone == nullptr) {
        instant = date::sys_seconds{local->time_since_epoch()};
      } else {
        const date::local_info info = zone->get_info(*local);
        switch (info.result) {
          case date::local_info::nonexistent: instant = info.second.begin; break;
          case date::local_info::unique:
          case date::local_info::ambiguous:
          default: instant = date::sys_seconds{local->time_since_epoch() - info.first.offset};
        }
        start = *local + seconds{1};
        if (info.result == date::local_info::ambiguous) {
          const date::local_seconds repeat_end{
              (info.first.end + info.first.offset).time_since_epoch()};
          start = std::max(start, repeat_end);
        }
      }
      const int64_t ms = int64_t(instant.time_since_epoch().count()) * 1000;
      if (ms > after_ms) return ms;
    }
    return std::nullopt;
  } catch (...) {
    // date/tz loads zone data lazily and reports I/O or parse problems by throwing.
    return std::nullopt;
  }
}

const date::time_zone* find_time_zone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (...) {
    return nullptr;
  }
}

}  // namespace symphony::broker
