#include "bench/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace symphony::bench {
namespace {

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 0; v < 128; ++v) {
    EXPECT_EQ(LatencyHistogram::index_of(v), v);
    EXPECT_EQ(LatencyHistogram::lowest_in(v), v);
    EXPECT_EQ(LatencyHistogram::highest_in(v), v);
  }
  h.record(7);
  h.record(9);
  h.record(11);
  EXPECT_EQ(h.percentile(50), 9u);
  EXPECT_EQ(h.percentile(100), 11u);
  EXPECT_EQ(h.min(), 7u);
  EXPECT_DOUBLE_EQ(h.mean(), 9.0);
}

TEST(LatencyHistogram, BucketsTileTheRangeWithoutGapsOrOverlap) {
  for (size_t i = 1; i < LatencyHistogram::kBuckets; ++i) {
    ASSERT_EQ(LatencyHistogram::lowest_in(i), LatencyHistogram::highest_in(i - 1) + 1) << i;
  }
  EXPECT_EQ(LatencyHistogram::highest_in(LatencyHistogram::kBuckets - 1), UINT64_MAX);
  EXPECT_EQ(LatencyHistogram::index_of(UINT64_MAX), LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogram, EveryValueLandsInABucketThatHoldsItWithinOneSixtyFourth) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200'000; ++i) {
    const uint64_t v = rng() >> (rng() % 64);
    const size_t idx = LatencyHistogram::index_of(v);
    ASSERT_LE(LatencyHistogram::lowest_in(idx), v);
    ASSERT_GE(LatencyHistogram::highest_in(idx), v);
    const double width =
        static_cast<double>(LatencyHistogram::highest_in(idx) - LatencyHistogram::lowest_in(idx));
    ASSERT_LE(width, static_cast<double>(v) / 64.0 + 1.0) << v;
  }
}

TEST(LatencyHistogram, PercentilesMatchSortedDataWithinTheBucketError) {
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> dist(6.0, 1.2);  // latency-like: long right tail
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t v = static_cast<uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const uint64_t exact = values[static_cast<size_t>(p / 100.0 * values.size()) - 1];
    const uint64_t got = h.percentile(p);
    EXPECT_GE(got, exact) << "p" << p << " reported below the true value";
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * (1.0 + 1.0 / 64) + 1)
        << "p" << p;
  }
  EXPECT_EQ(h.percentile(100), values.back());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.count(), values.size());
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10'000; ++i) {
    const uint64_t v = rng() % 1'000'000;
    (i % 2 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double p : {1.0, 50.0, 99.0, 99.99}) EXPECT_EQ(a.percentile(p), all.percentile(p));
}

TEST(LatencyHistogram, EmptyAndWeightedRecords) {
  LatencyHistogram h;
  EXPECT_EQ(h.percentile(99), 0u);
  EXPECT_EQ(h.min(), 0u);
  h.record(1000, 99);
  h.record(50'000, 1);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_LE(h.percentile(99), 1015u);
  EXPECT_GE(h.percentile(99), 1000u);
  EXPECT_EQ(h.percentile(99.5), 50'000u);  // capped at the max, not the bucket edge
}

}  // namespace
}  // namespace symphony::bench
