// parse_time_ms: the admin API's since/until/at/start_at and the CLIs' times.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "protocol/time_text.h"

namespace symphony::protocol {
namespace {

std::optional<int64_t> parse(const std::string& text) {
  int64_t ms = 0;
  if (!parse_time_ms(text, ms)) return std::nullopt;
  return ms;
}

constexpr int64_t k2026_11_22 = 1'795'305'600'000;  // 2026-11-22T00:00:00Z

TEST(ParseTimeTest, DocumentedForms) {
  EXPECT_EQ(parse("1763805600000"), 1'763'805'600'000);
  EXPECT_EQ(parse("0"), 0);
  EXPECT_EQ(parse("2026-11-22"), k2026_11_22);
  EXPECT_EQ(parse("2026-11-22T10:00:00Z"), k2026_11_22 + 36'000'000);
  EXPECT_EQ(parse("2026-11-22T10:00:00"), k2026_11_22 + 36'000'000);
  EXPECT_EQ(parse("2026-11-22 10:00:00"), k2026_11_22 + 36'000'000);
  EXPECT_EQ(parse("2026-11-22T10:00:00.5+01:00"), k2026_11_22 + 32'400'500);
  EXPECT_EQ(parse("2026-11-22T10:00:00.123-02:30"), k2026_11_22 + 45'000'123);
  EXPECT_EQ(parse("2026-11-22T10:00:00+0100"), k2026_11_22 + 32'400'000);
  EXPECT_EQ(parse("2026-11-22T10:00:00+01"), k2026_11_22 + 32'400'000);
  EXPECT_EQ(parse("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(parse("2000-02-29"), 951'782'400'000);
}

TEST(ParseTimeTest, FinerFractionsAreCut) {
  // what Python's isoformat() writes; date::parse refused it with a zone and took it without
  EXPECT_EQ(parse("2026-11-22T10:00:00.123456+00:00"), k2026_11_22 + 36'000'123);
  EXPECT_EQ(parse("2026-11-22T10:00:00.999999999Z"), k2026_11_22 + 36'000'999);
  EXPECT_EQ(parse("2026-11-22T10:00:00.0357"), k2026_11_22 + 36'000'035);
  EXPECT_FALSE(parse("2026-11-22T10:00:00.1234567890Z"));
}

TEST(ParseTimeTest, RefusesMalformedText) {
  // the inputs the time_text fuzzer found: date::parse read an uninitialized seconds value on
  // them (undefined behaviour under UBSan); the hand-written reader refuses them cleanly
  EXPECT_FALSE(parse("17-7-73"));
  EXPECT_FALSE(parse("2026-11-22Tab"));
  EXPECT_FALSE(parse("2026-11-22T10:00"));
  EXPECT_FALSE(parse("2026-11-22T10:00:0x"));
  // forms date::parse let through with a meaning nobody wrote
  EXPECT_FALSE(parse("2026-11-22T10:00:00."));
  EXPECT_FALSE(parse("2026-11-22T10:00:00+24:00"));
  EXPECT_FALSE(parse("2026-11-22T10:00:00+01:60"));
  EXPECT_FALSE(parse("2026-1-22"));
  EXPECT_FALSE(parse("26-11-22"));
  EXPECT_FALSE(parse("-2026-11-22"));
  // out of range
  EXPECT_FALSE(parse("2026-13-01"));
  EXPECT_FALSE(parse("2026-02-30"));
  EXPECT_FALSE(parse("2026-11-22T24:00:00"));
  EXPECT_FALSE(parse("2026-11-22T10:60:00"));
  EXPECT_FALSE(parse("2026-11-22T10:00:60"));
  // other junk
  EXPECT_FALSE(parse(""));
  EXPECT_FALSE(parse("99999999999999999999"));
  EXPECT_FALSE(parse("2026-11-22Z"));
  EXPECT_FALSE(parse("2026-11-22T10:00:00Zjunk"));
  EXPECT_FALSE(parse("2026-11-22T10:00:00+01:"));
}

TEST(ParseTimeTest, FormattedTimesParseBack) {
  for (int64_t ms : {int64_t{0}, int64_t{-1}, int64_t{1'700'000'000'123}, k2026_11_22 + 86'399'999,
                     int64_t{-62'167'219'200'000}, int64_t{253'402'300'799'999}}) {
    EXPECT_EQ(parse(format_iso8601_ms(ms)), ms) << format_iso8601_ms(ms);
  }
}

}  // namespace
}  // namespace symphony::protocol
