#pragma once
// A log-linear latency histogram (the HdrHistogram layout, which Debian does not package): values
// below 64 are counted exactly; above, each power of two is split into 64 linear sub-buckets, so
// a recorded value is reported within 1/64 (1.6 %) of itself. 3,776 counters cover all of uint64.
//
// Not thread-safe: one per thread, merged at the end.
#include <array>
#include <cstddef>
#include <cstdint>

namespace symphony::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 6;
  static constexpr size_t kBuckets =
      (64 - kSubBucketBits) * (1u << kSubBucketBits) + (1u << kSubBucketBits);

  void record(uint64_t value, uint64_t count = 1);
  void merge(const LatencyHistogram& other);
  void clear();

  uint64_t count() const { return total_; }
  uint64_t min() const { return total_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const {
    return total_ ? static_cast<double>(sum_) / static_cast<double>(total_) : 0;
  }
  /// The smallest recorded value v such that at least `p` percent of values are <= v, reported
  /// as the upper edge of its bucket (never below the true percentile), capped at max().
  uint64_t percentile(double p) const;

  static size_t index_of(uint64_t value);
  /// Smallest and largest value counted in bucket `index`.
  static uint64_t lowest_in(size_t index);
  static uint64_t highest_in(size_t index);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  unsigned __int128 sum_ = 0;
};

}  // namespace symphony::bench
