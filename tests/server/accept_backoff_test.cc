// The accept loop's reaction to errors (EMFILE and the like) without sockets: the pause that
// doubles from 10 ms to 1 s and starts over after a success, and the log throttle that writes one
// line per interval with the count of the lines it held back.
#include "broker/server/accept_backoff.h"

#include <gtest/gtest.h>

#include <optional>

namespace symphony::server {
namespace {

using std::chrono::milliseconds;

LogThrottle::Clock::time_point at(int64_t ms) {
  return LogThrottle::Clock::time_point{} + milliseconds(ms);
}

TEST(AcceptBackoffTest, PausesDoubleFromTenMillisecondsToOneSecond) {
  AcceptBackoff b;
  const int64_t expected[] = {10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000};
  for (int64_t want : expected) EXPECT_EQ(b.on_error(), milliseconds(want));
  // a long run of errors stays at the cap (no overflow in the doubling)
  for (int i = 0; i < 1000; ++i) b.on_error();
  EXPECT_EQ(b.on_error(), AcceptBackoff::kMax);
}

TEST(AcceptBackoffTest, ASuccessStartsTheScheduleOver) {
  AcceptBackoff b;
  for (int i = 0; i < 20; ++i) b.on_error();
  b.on_success();
  EXPECT_EQ(b.on_error(), AcceptBackoff::kFirst);
  EXPECT_EQ(b.on_error(), milliseconds(20));
  b.on_success();
  b.on_success();  // a second success changes nothing
  EXPECT_EQ(b.on_error(), AcceptBackoff::kFirst);
}

TEST(LogThrottleTest, TheFirstEventIsWrittenWithNothingHeldBack) {
  LogThrottle t(milliseconds(1000));
  EXPECT_EQ(t.admit(at(0)), std::optional<uint64_t>(0));
}

TEST(LogThrottleTest, OneLinePerIntervalCarryingTheCountHeldBack) {
  LogThrottle t(milliseconds(1000));
  ASSERT_EQ(t.admit(at(0)), std::optional<uint64_t>(0));
  for (int64_t ms = 1; ms < 1000; ms += 100) {
    EXPECT_EQ(t.admit(at(ms)), std::nullopt) << "at " << ms;
  }
  // the 10 held back are reported on the line that is let through at the interval's end
  EXPECT_EQ(t.admit(at(1000)), std::optional<uint64_t>(10));
  // the count starts over after a line
  EXPECT_EQ(t.admit(at(1500)), std::nullopt);
  EXPECT_EQ(t.admit(at(2000)), std::optional<uint64_t>(1));
  // after a quiet spell the next event is written at once, with nothing held back
  EXPECT_EQ(t.admit(at(60'000)), std::optional<uint64_t>(0));
}

TEST(LogThrottleTest, TheIntervalRunsFromTheLastLineWrittenNotTheLastEvent) {
  LogThrottle t(milliseconds(1000));
  t.admit(at(0));
  // steady events every 300 ms: a line still goes out once a second
  EXPECT_EQ(t.admit(at(300)), std::nullopt);
  EXPECT_EQ(t.admit(at(600)), std::nullopt);
  EXPECT_EQ(t.admit(at(900)), std::nullopt);
  EXPECT_EQ(t.admit(at(1200)), std::optional<uint64_t>(3));
  EXPECT_EQ(t.admit(at(2199)), std::nullopt);
  EXPECT_EQ(t.admit(at(2200)), std::optional<uint64_t>(1));
}

TEST(LogThrottleTest, TheDefaultIntervalIsTenSeconds) {
  LogThrottle t;
  ASSERT_TRUE(t.admit(at(0)).has_value());
  EXPECT_FALSE(t.admit(at(9'999)).has_value());
  EXPECT_EQ(t.admit(at(10'000)), std::optional<uint64_t>(1));
}

}  // namespace
}  // namespace symphony::server
