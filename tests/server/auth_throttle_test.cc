// AuthThrottle with an injected clock (time is an argument): the delay schedule, the window, a
// success forgetting its address, the cap on tracked addresses and the address keys.
#include "broker/server/auth_throttle.h"

#include <gtest/gtest.h>

#include <string>

namespace symphony::server {
namespace {

using std::chrono::milliseconds;
using TimePoint = AuthThrottle::TimePoint;

TimePoint at(int64_t ms) {
  return TimePoint{} + milliseconds(ms);
}

TEST(AuthThrottleTest, DelaysDoubleAfterTheFreeFailuresUpToTheCap) {
  AuthThrottle t;  // defaults: 3 free, 250 ms, doubling, 4 s cap
  const std::string a = "10.0.0.1";
  const int64_t expected[] = {0, 0, 0, 250, 500, 1000, 2000, 4000, 4000, 4000};
  int64_t now = 0;
  for (int64_t want : expected) {
    EXPECT_EQ(t.attempt(a, false, at(now)), milliseconds(want)) << "at " << now;
    now += 10;
  }
  EXPECT_EQ(t.failures(a, at(now)), 10u);
  // a far larger count stays at the cap (no overflow in the doubling)
  for (int i = 0; i < 100; ++i) t.attempt(a, false, at(now));
  EXPECT_EQ(t.attempt(a, false, at(now)), milliseconds(4000));
}

TEST(AuthThrottleTest, EveryAttemptOfASlowedAddressWaitsAndASuccessForgetsIt) {
  AuthThrottle t;
  const std::string a = "10.0.0.2";
  for (int i = 0; i < 5; ++i) t.attempt(a, false, at(0));
  // the right token waits like a wrong one would (else a quick answer would give it away)...
  EXPECT_EQ(t.attempt(a, true, at(1)), milliseconds(1000));
  // ...and resets the address: the next attempts start from nothing
  EXPECT_EQ(t.failures(a, at(2)), 0u);
  EXPECT_EQ(t.tracked(), 0u);
  EXPECT_EQ(t.attempt(a, false, at(3)), milliseconds(0));
  EXPECT_EQ(t.attempt(a, true, at(4)), milliseconds(0));
}

TEST(AuthThrottleTest, AddressesAreCountedApart) {
  AuthThrottle t;
  for (int i = 0; i < 6; ++i) t.attempt("10.0.0.3", false, at(0));
  EXPECT_EQ(t.attempt("10.0.0.4", false, at(0)), milliseconds(0));
  EXPECT_EQ(t.attempt("10.0.0.3", false, at(0)), milliseconds(2000));
}

TEST(AuthThrottleTest, AQuietWindowStartsAfresh) {
  AuthThrottleOptions o;
  o.window = milliseconds(60'000);
  AuthThrottle t(o);
  const std::string a = "10.0.0.5";
  for (int i = 0; i < 5; ++i) t.attempt(a, false, at(i * 1000));  // last failure at 4000
  EXPECT_EQ(t.failures(a, at(4000 + 59'999)), 5u);
  EXPECT_EQ(t.failures(a, at(4000 + 60'000)), 0u);
  EXPECT_EQ(t.attempt(a, false, at(4000 + 60'000)), milliseconds(0));
  EXPECT_EQ(t.failures(a, at(4000 + 60'000)), 1u);
}

TEST(AuthThrottleTest, TheWindowRunsFromTheLastFailure) {
  AuthThrottle t;
  const std::string a = "10.0.0.6";
  // one failure every 50 s: never a quiet minute, so the count keeps growing
  for (int i = 0; i < 5; ++i) t.attempt(a, false, at(i * 50'000));
  EXPECT_EQ(t.failures(a, at(4 * 50'000)), 5u);
  EXPECT_EQ(t.attempt(a, false, at(5 * 50'000)), milliseconds(1000));
}

TEST(AuthThrottleTest, TrackedAddressesAreBoundedOldestEvicted) {
  AuthThrottleOptions o;
  o.max_addresses = 100;
  AuthThrottle t(o);
  for (int i = 0; i < 4; ++i) t.attempt("attacker", false, at(0));
  // a spray of fresh addresses, the attacker failing again in between (so it stays recent)
  for (int i = 0; i < 10'000; ++i) {
    t.attempt("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256), false, at(i));
    if (i % 50 == 0) t.attempt("attacker", false, at(i));
    ASSERT_LE(t.tracked(), 100u);
  }
  EXPECT_EQ(t.tracked(), 100u);
  EXPECT_GT(t.failures("attacker", at(10'000)), 100u) << "a recent offender is not evicted";
  EXPECT_EQ(t.failures("10.1.0.0", at(10'000)), 0u) << "the oldest ones are";
  EXPECT_EQ(t.failures("10.1.39.15", at(10'000)), 1u) << "the newest one is kept";
}

TEST(AuthThrottleTest, ZeroMaxDelayTurnsItOff) {
  AuthThrottleOptions o;
  o.max_delay = milliseconds(0);
  AuthThrottle t(o);
  EXPECT_FALSE(t.enabled());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(t.attempt("a", false, at(i)), milliseconds(0));
  EXPECT_EQ(t.tracked(), 0u);
}

TEST(AuthThrottleTest, CustomScheduleAndAFirstAttemptIsNeverDelayed) {
  AuthThrottleOptions o;
  o.free_failures = 0;  // taken as 1: an address with no failure is never slowed
  o.base_delay = milliseconds(100);
  o.max_delay = milliseconds(300);
  AuthThrottle t(o);
  EXPECT_EQ(t.attempt("a", false, at(0)), milliseconds(0)) << "no failure before the first";
  EXPECT_EQ(t.attempt("a", false, at(0)), milliseconds(100));
  EXPECT_EQ(t.attempt("a", false, at(0)), milliseconds(200));
  EXPECT_EQ(t.attempt("a", false, at(0)), milliseconds(300));
  EXPECT_EQ(t.attempt("a", false, at(0)), milliseconds(300));
}

TEST(AuthThrottleTest, KeysAreAddressesWithoutPortsAndIpv6PerSlash64) {
  EXPECT_EQ(throttle_key("127.0.0.1:5555"), "127.0.0.1");
  EXPECT_EQ(throttle_key("10.2.3.4:1"), "10.2.3.4");
  // Connection::remote() writes IPv6 without brackets; the admin listener's form is the same
  EXPECT_EQ(throttle_key("2001:db8:1:2:3:4:5:6:443"), "2001:db8:1:2::/64");
  EXPECT_EQ(throttle_key("[2001:db8:1:2:ffff::1]:443"), "2001:db8:1:2::/64");
  EXPECT_EQ(throttle_key("::1:7000"), "::/64");
  EXPECT_EQ(throttle_key("::ffff:192.0.2.7:80"), "192.0.2.7");
  EXPECT_EQ(throttle_key("unknown"), "unknown");
  EXPECT_EQ(throttle_key(""), "");
}

}  // namespace
}  // namespace symphony::server
