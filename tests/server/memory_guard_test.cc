// The memory alarm as pure logic (a fake probe, time as an argument): what limits.max_memory
// accepts and how it resolves, and MemoryGuard's watermarks, its one report per transition, its
// sampling interval, the estimate of accepted bytes and the rate limit on giving memory back.
#include "broker/server/memory_guard.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

namespace symphony::server {
namespace {

using Change = MemoryGuard::Change;
constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;

// The resident figure is whatever the test sets; release_free() can drop it, as malloc_trim would.
class FakeProbe : public MemoryGuard::Probe {
 public:
  uint64_t resident() override {
    ++reads;
    return bytes;
  }
  void release_free() override {
    ++releases;
    if (after_release) bytes = *after_release;
  }

  uint64_t bytes = 0;
  std::optional<uint64_t> after_release;  // unset: a trim gives nothing back
  int reads = 0;
  int releases = 0;
};

MemoryLimit parsed(std::string_view text) {
  MemoryLimit out;
  std::string error;
  EXPECT_TRUE(MemoryLimit::parse(text, out, error)) << text << ": " << error;
  return out;
}

TEST(MemoryLimitTest, TheDefaultIsSixtyPercentOfTheMachine) {
  const MemoryLimit d;
  EXPECT_EQ(d.kind, MemoryLimit::Kind::kFraction);
  EXPECT_DOUBLE_EQ(d.fraction, 0.6);
  EXPECT_EQ(d.to_string(), "60%");
}

TEST(MemoryLimitTest, ParsesOffBytesUnitsAndPercentages) {
  EXPECT_EQ(parsed("off").kind, MemoryLimit::Kind::kOff);
  EXPECT_EQ(parsed("0").kind, MemoryLimit::Kind::kOff);

  struct Bytes {
    std::string_view text;
    uint64_t bytes;
  };
  for (const Bytes& b : {
           Bytes{"2GiB", 2 * kGiB}, Bytes{"512MiB", 512 * kMiB}, Bytes{"65536KiB", 64 * kMiB},
           Bytes{"1TiB", uint64_t{1} << 40}, Bytes{"1073741824", kGiB}, Bytes{"1073741824B", kGiB},
           Bytes{"67108864", 64 * kMiB},  // exactly the minimum
       }) {
    const MemoryLimit l = parsed(b.text);
    EXPECT_EQ(l.kind, MemoryLimit::Kind::kBytes) << b.text;
    EXPECT_EQ(l.bytes, b.bytes) << b.text;
  }

  struct Pct {
    std::string_view text;
    double fraction;
  };
  for (const Pct& p : {Pct{"60%", 0.6}, Pct{"1%", 0.01}, Pct{"100%", 1.0}, Pct{"12.5%", 0.125}}) {
    const MemoryLimit l = parsed(p.text);
    EXPECT_EQ(l.kind, MemoryLimit::Kind::kFraction) << p.text;
    EXPECT_DOUBLE_EQ(l.fraction, p.fraction) << p.text;
  }
}

TEST(MemoryLimitTest, RefusesMalformedTooSmallAndTooLargeLimits) {
  struct Bad {
    std::string_view text;
    std::string_view says;
  };
  for (const Bad& b : {
           Bad{"", "is not a size"},
           Bad{"lots", "is not a size"},
           Bad{"-1GiB", "is not a size"},
           Bad{"OFF", "is not a size"},
           Bad{"2GB", "the unit must be"},
           Bad{"2gib", "the unit must be"},
           Bad{"2 GiB", "the unit must be"},
           Bad{"1.5GiB", "the unit must be"},
           Bad{"2GiB ", "the unit must be"},
           // under 64 MiB the broker's own fixed memory would keep the alarm on
           Bad{"64KiB", "under the smallest limit of 64MiB"},
           Bad{"67108863", "under the smallest limit"},
           Bad{"65535KiB", "under the smallest limit"},
           Bad{"63MiB", "under the smallest limit"},
           Bad{"0B", "under the smallest limit"},
           Bad{"4294967297GiB", "is too large"},  // 2^62 + 1 GiB: the shift would overflow
           Bad{"99999999999999999999999", "is not a size"},
           Bad{"0%", "1% to 100%"},
           Bad{"0.5%", "1% to 100%"},
           Bad{"101%", "1% to 100%"},
           Bad{"-5%", "1% to 100%"},
           Bad{"%", "1% to 100%"},
           Bad{"60 %", "1% to 100%"},
           Bad{"sixty%", "1% to 100%"},
       }) {
    MemoryLimit out;
    std::string error;
    EXPECT_FALSE(MemoryLimit::parse(b.text, out, error)) << "'" << b.text << "' was accepted";
    EXPECT_NE(error.find(b.says), std::string::npos) << "'" << b.text << "': " << error;
  }
  // the largest value that fits: 2^62 bytes
  EXPECT_EQ(parsed("4294967296GiB").bytes, uint64_t{1} << 62);
}

TEST(MemoryLimitTest, ToStringIsReadBackAsTheSameSetting) {
  // the effective config prints the setting; reading that text back must give the same limit
  for (std::string_view text : {"off", "60%", "1%", "100%", "12.5%", "2GiB", "512MiB", "1TiB",
                                "65536KiB", "67108865", "1536MiB"}) {
    const MemoryLimit l = parsed(text);
    const MemoryLimit again = parsed(l.to_string());
    EXPECT_EQ(again.kind, l.kind) << text << " -> " << l.to_string();
    EXPECT_EQ(again.bytes, l.bytes) << text << " -> " << l.to_string();
    EXPECT_EQ(again.fraction, l.fraction) << text << " -> " << l.to_string();
  }
  EXPECT_EQ(parsed("2GiB").to_string(), "2GiB");
  EXPECT_EQ(parsed("1024GiB").to_string(), "1TiB") << "the largest whole unit";
  EXPECT_EQ(parsed("1536MiB").to_string(), "1536MiB");
  EXPECT_EQ(parsed("67108865").to_string(), "67108865") << "no whole unit: plain bytes";
  EXPECT_EQ(parsed("0").to_string(), "off");
}

TEST(MemoryLimitTest, AWholePercentagePrintsAsWritten) {
  // the operator's "7%" should come back as "7%" in the startup line and the config dump
  for (int pct = 1; pct <= 100; ++pct) {
    const std::string text = std::to_string(pct) + "%";
    EXPECT_EQ(parsed(text).to_string(), text);
  }
}

TEST(MemoryLimitTest, ResolvesAgainstTheMachinesMemory) {
  EXPECT_EQ(parsed("off").resolve(16 * kGiB), 0u);
  EXPECT_EQ(parsed("2GiB").resolve(16 * kGiB), 2 * kGiB) << "bytes ignore the machine";
  EXPECT_EQ(parsed("2GiB").resolve(1 * kGiB), 2 * kGiB) << "even a smaller one";
  EXPECT_EQ(parsed("60%").resolve(16 * kGiB), 10'307'921'510u);  // 0.6 * 16 GiB, rounded
  EXPECT_EQ(parsed("25%").resolve(3 * kGiB), 768 * kMiB);
  EXPECT_EQ(parsed("100%").resolve(16 * kGiB), 16 * kGiB);
  // a fraction of a small machine (or cgroup) never resolves under the 64 MiB minimum
  EXPECT_EQ(parsed("1%").resolve(1 * kGiB), 64 * kMiB);
  EXPECT_EQ(parsed("60%").resolve(0), 64 * kMiB);
}

TEST(FormatBytesTest, PicksTheLargestUnitThatFits) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(12), "12 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1 KiB");
  EXPECT_EQ(format_bytes(12 * 1024 + 1000), "12 KiB");
  EXPECT_EQ(format_bytes(300 * kMiB), "300 MiB");
  EXPECT_EQ(format_bytes(kGiB - 1), "1023 MiB");
  EXPECT_EQ(format_bytes(kGiB), "1.00 GiB");
  EXPECT_EQ(format_bytes(kGiB + kGiB / 2), "1.50 GiB");
}

TEST(MemoryGuardTest, TheAlarmRaisesAtTheLimitAndNotBefore) {
  FakeProbe probe;
  MemoryGuard g(1000, probe);
  EXPECT_EQ(g.limit(), 1000u);
  probe.bytes = 999;
  EXPECT_EQ(g.sample(0), Change::kNone);
  EXPECT_FALSE(g.alarm());
  EXPECT_EQ(g.used(), 999u);
  probe.bytes = 1000;
  EXPECT_EQ(g.sample(100), Change::kRaised);
  EXPECT_TRUE(g.alarm());
}

TEST(MemoryGuardTest, TheAlarmClearsOnlyUnderNinetyPercent) {
  FakeProbe probe;
  MemoryGuard g(1000, probe);
  EXPECT_EQ(g.low_watermark(), 900u);
  probe.bytes = 1000;
  ASSERT_EQ(g.sample(0), Change::kRaised);
  probe.bytes = 950;
  EXPECT_EQ(g.sample(100), Change::kNone) << "under the limit is not enough";
  probe.bytes = 900;
  EXPECT_EQ(g.sample(200), Change::kNone) << "exactly the low watermark is not under it";
  EXPECT_TRUE(g.alarm());
  probe.bytes = 899;
  EXPECT_EQ(g.sample(300), Change::kCleared);
  EXPECT_FALSE(g.alarm());
  // between the watermarks a cleared alarm stays cleared (else it would flap at the limit)
  probe.bytes = 999;
  EXPECT_EQ(g.sample(400), Change::kNone);
  EXPECT_FALSE(g.alarm());
}

TEST(MemoryGuardTest, EachTransitionIsReportedExactlyOnce) {
  FakeProbe probe;
  MemoryGuard g(1000, probe);
  struct Step {
    uint64_t resident;
    Change want;
  };
  const Step steps[] = {
      {500, Change::kNone},  {1000, Change::kRaised}, {1200, Change::kNone},
      {1000, Change::kNone}, {950, Change::kNone},    {800, Change::kCleared},
      {700, Change::kNone},  {899, Change::kNone},    {1100, Change::kRaised},
      {5000, Change::kNone}, {100, Change::kCleared}, {100, Change::kNone},
  };
  broker::TimeMs now = 0;
  for (const Step& s : steps) {
    probe.bytes = s.resident;
    EXPECT_EQ(g.maybe_sample(now), s.want) << "resident " << s.resident << " at " << now;
    now += MemoryGuard::kSampleIntervalMs;
  }
  // add() reports the same way: nothing more while raised
  probe.bytes = 1000;
  ASSERT_EQ(g.sample(now), Change::kRaised);
  EXPECT_EQ(g.add(10), Change::kNone);
  EXPECT_EQ(g.add(10), Change::kNone);
}

TEST(MemoryGuardTest, MaybeSampleReadsTheProbeAtMostOncePerInterval) {
  FakeProbe probe;
  MemoryGuard g(1000, probe);
  probe.bytes = 100;
  EXPECT_EQ(g.maybe_sample(5000), Change::kNone);
  EXPECT_EQ(probe.reads, 1) << "the first call always samples";
  probe.bytes = 200;
  g.maybe_sample(5000 + MemoryGuard::kSampleIntervalMs - 1);
  EXPECT_EQ(probe.reads, 1);
  EXPECT_EQ(g.used(), 100u) << "the figure is the last sample's";
  g.maybe_sample(5000 + MemoryGuard::kSampleIntervalMs);
  EXPECT_EQ(probe.reads, 2);
  EXPECT_EQ(g.used(), 200u);

  // called every millisecond (the event loop's pace), it still reads once per interval
  FakeProbe busy;
  MemoryGuard h(1000, busy);
  for (broker::TimeMs t = 0; t < 1000; ++t) h.maybe_sample(t);
  EXPECT_EQ(busy.reads, 1000 / MemoryGuard::kSampleIntervalMs);
}

TEST(MemoryGuardTest, AnExplicitSampleRestartsTheInterval) {
  FakeProbe probe;
  MemoryGuard g(1000, probe);
  g.sample(0);
  g.sample(40);
  ASSERT_EQ(probe.reads, 2);
  g.maybe_sample(60);  // 50 ms after the first sample but only 20 after the last one
  EXPECT_EQ(probe.reads, 2);
  g.maybe_sample(90);
  EXPECT_EQ(probe.reads, 3);
}

TEST(MemoryGuardTest, AnAlarmIsSeenOnlyAtTheNextDueSample) {
  FakeProbe probe;
  MemoryGuard g(1000, probe);
  probe.bytes = 100;
  g.maybe_sample(0);
  probe.bytes = 2000;
  EXPECT_EQ(g.maybe_sample(MemoryGuard::kSampleIntervalMs - 1), Change::kNone);
  EXPECT_FALSE(g.alarm());
  EXPECT_EQ(g.maybe_sample(MemoryGuard::kSampleIntervalMs), Change::kRaised);
}

TEST(MemoryGuardTest, AClockThatStepsBackDoesNotStallSampling) {
  FakeProbe probe;
  MemoryGuard g(1000, probe);
  g.sample(10'000);
  probe.bytes = 1500;
  // a clock set back must not hold the next sample off until it has caught up again
  EXPECT_EQ(g.maybe_sample(9'000), Change::kRaised);
  EXPECT_EQ(probe.reads, 3) << "one read, then the trim and a read after it";
}

TEST(MemoryGuardTest, AcceptedBytesCountUntilTheNextSample) {
  FakeProbe probe;
  MemoryGuard g(1000, probe);
  probe.bytes = 600;
  g.sample(0);
  EXPECT_EQ(g.add(300), Change::kNone);
  EXPECT_EQ(g.used(), 900u);
  EXPECT_EQ(g.add(100), Change::kRaised) << "600 resident + 400 accepted reaches the limit";
  EXPECT_EQ(g.used(), 1000u);
  // a call inside the interval keeps the estimate (no new figure to replace it)
  EXPECT_EQ(g.maybe_sample(10), Change::kNone);
  EXPECT_EQ(g.used(), 1000u);
  EXPECT_TRUE(g.alarm());
  // a sample replaces the estimate: what was accepted is now in the resident figure, or gone
  EXPECT_EQ(g.maybe_sample(MemoryGuard::kSampleIntervalMs), Change::kCleared);
  EXPECT_EQ(g.used(), 600u);
  EXPECT_EQ(g.add(300), Change::kNone);
  EXPECT_EQ(g.used(), 900u);
}

TEST(MemoryGuardTest, FreedMemoryIsGivenBackBeforeTheAlarmIsRaised) {
  FakeProbe probe;
  MemoryGuard g(1000, probe);
  probe.bytes = 999;
  for (broker::TimeMs t = 0; t < 500; t += MemoryGuard::kSampleIntervalMs) g.sample(t);
  EXPECT_EQ(probe.releases, 0) << "no trim under the limit";

  // glibc kept 1500 after a drain; trimmed, it is 700: no alarm, and the figure is the trimmed one
  probe.bytes = 1500;
  probe.after_release = 700;
  EXPECT_EQ(g.sample(500), Change::kNone);
  EXPECT_FALSE(g.alarm());
  EXPECT_EQ(probe.releases, 1);
  EXPECT_EQ(g.used(), 700u);
}

TEST(MemoryGuardTest, ReleaseFreeRunsAtMostOncePerTrimInterval) {
  FakeProbe probe;
  MemoryGuard g(1000, probe);
  probe.bytes = 1500;  // a trim gives nothing back: the alarm stays on
  ASSERT_EQ(g.sample(0), Change::kRaised);
  ASSERT_EQ(probe.releases, 1);
  constexpr broker::TimeMs kTrim = MemoryGuard::kTrimIntervalMs;
  for (broker::TimeMs t = 1; t < kTrim; ++t) g.maybe_sample(t);
  EXPECT_EQ(probe.releases, 1) << "samples while raised, but no second trim within the interval";
  g.maybe_sample(kTrim);
  EXPECT_EQ(probe.releases, 2);
  g.sample(2 * kTrim - 1);
  EXPECT_EQ(probe.releases, 2);
  g.sample(2 * kTrim);
  EXPECT_EQ(probe.releases, 3);
  EXPECT_TRUE(g.alarm());
}

TEST(MemoryGuardTest, TheTrimIntervalAlsoHoldsBeforeRaising) {
  FakeProbe probe;
  MemoryGuard g(1000, probe);
  probe.bytes = 1500;
  probe.after_release = 700;
  ASSERT_EQ(g.sample(0), Change::kNone);  // trimmed under the limit
  ASSERT_EQ(probe.releases, 1);
  // over again soon after: no second trim yet, so the alarm is raised on the untrimmed figure
  probe.bytes = 1500;
  EXPECT_EQ(g.sample(500), Change::kRaised);
  EXPECT_EQ(probe.releases, 1);
  // once due, the trim while raised brings it under the low watermark
  EXPECT_EQ(g.sample(MemoryGuard::kTrimIntervalMs), Change::kCleared);
  EXPECT_EQ(probe.releases, 2);
  EXPECT_EQ(g.used(), 700u);
}

TEST(MemoryGuardTest, WhileRaisedASampleUnderTheLimitStillTrims) {
  FakeProbe probe;
  MemoryGuard g(1000, probe);
  probe.bytes = 950;
  g.sample(0);
  ASSERT_EQ(g.add(100), Change::kRaised);
  // 950 is under the limit but over the low watermark: without a trim the alarm would stay on
  probe.after_release = 500;
  EXPECT_EQ(g.sample(MemoryGuard::kSampleIntervalMs), Change::kCleared);
  EXPECT_EQ(probe.releases, 1);
}

TEST(MemoryGuardTest, LimitZeroNeverAlarmsButKeepsTheFigure) {
  FakeProbe probe;
  MemoryGuard g(0, probe);
  probe.bytes = uint64_t{1} << 40;
  EXPECT_EQ(g.sample(0), Change::kNone);
  EXPECT_EQ(g.add(uint64_t{1} << 40), Change::kNone);
  EXPECT_EQ(g.maybe_sample(MemoryGuard::kSampleIntervalMs), Change::kNone);
  EXPECT_FALSE(g.alarm());
  EXPECT_EQ(probe.releases, 0) << "no limit, no reason to trim";
  EXPECT_EQ(g.used(), uint64_t{1} << 40) << "the figure is still kept for /metrics";
  EXPECT_EQ(g.add(5), Change::kNone);
  EXPECT_EQ(g.used(), (uint64_t{1} << 40) + 5);
  EXPECT_EQ(g.limit(), 0u);
}

}  // namespace
}  // namespace symphony::server
