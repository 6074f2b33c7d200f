// Times as people type them (protocol/time_text.h): the admin API's since/until/at/start_at and
// the CLIs parse them; DELIVER's dispatched-at header and every JSON view format them.
//
// The input is text. Properties:
//  - parse_time_ms never throws or crashes; a digit string parses as itself;
//  - a parsed time in years 0000..9999 formats as 24 bytes of "YYYY-MM-DDTHH:MM:SS.mmmZ" that
//    parse back to the same millisecond;
//  - format_iso8601_ms_to stays within kIso8601MsMaxBytes for any int64 (the input's first 8
//    bytes, and the parsed value), and agrees with format_iso8601_ms.
#include <cstring>
#include <string>

#include "protocol/time_text.h"
#include "tests/fuzz/fuzz_check.h"

using namespace symphony::protocol;

namespace {

// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z
constexpr int64_t kYear0Ms = -62'167'219'200'000;
constexpr int64_t kYear10000Ms = 253'402'300'800'000;

void check_format(int64_t ms) {
  char buf[kIso8601MsMaxBytes + 8];
  std::memset(buf, '#', sizeof(buf));
  const size_t n = format_iso8601_ms_to(ms, buf);
  FUZZ_CHECK(n > 0 && n <= kIso8601MsMaxBytes, "the text fits its buffer");
  for (size_t i = kIso8601MsMaxBytes; i < sizeof(buf); ++i) FUZZ_CHECK(buf[i] == '#');
  const std::string text(buf, n);
  FUZZ_CHECK(format_iso8601_ms(ms) == text);
  if (ms >= kYear0Ms && ms < kYear10000Ms) {
    FUZZ_CHECK(n == 24 && text[4] == '-' && text[10] == 'T' && text[23] == 'Z');
    int64_t back = 0;
    FUZZ_CHECK(parse_time_ms(text, back) && back == ms, "the formatted text parses back");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (size >= 8) {
    int64_t raw = 0;
    std::memcpy(&raw, data, 8);
    check_format(raw);
  }
  int64_t ms = 0;
  if (!parse_time_ms(text, ms)) return 0;
  bool digits = !text.empty();
  for (char c : text) digits &= c >= '0' && c <= '9';
  if (digits) {
    const size_t first = text.find_first_not_of('0');
    const std::string canonical = first == std::string::npos ? "0" : text.substr(first);
    FUZZ_CHECK(std::to_string(ms) == canonical, "Unix milliseconds parse as themselves");
  }
  check_format(ms);
  return 0;
}
