#include "bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace symphony::bench {

namespace {
constexpr uint64_t kSub = 1u << LatencyHistogram::kSubBucketBits;
}

size_t LatencyHistogram::index_of(uint64_t v) {
  if (v < kSub) return static_cast<size_t>(v);
  const int p = 63 - std::countl_zero(v);  // highest set bit, >= kSubBucketBits
  const int shift = p - kSubBucketBits;
  return static_cast<size_t>(shift) * kSub + static_cast<size_t>(v >> shift);
}

uint64_t LatencyHistogram::lowest_in(size_t index) {
  if (index < 2 * kSub) return index;
  const size_t q = index >> kSubBucketBits;  // >= 2
  const uint64_t r = index & (kSub - 1);
  return (kSub + r) << (q - 1);
}

uint64_t LatencyHistogram::highest_in(size_t index) {
  if (index < 2 * kSub) return index;
  const size_t q = index >> kSubBucketBits;
  return lowest_in(index) + ((uint64_t{1} << (q - 1)) - 1);
}

void LatencyHistogram::record(uint64_t value, uint64_t count) {
  if (count == 0) return;
  counts_[index_of(value)] += count;
  total_ += count;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<unsigned __int128>(value) * count;
}

void LatencyHistogram::merge(const LatencyHistogram& o) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
  total_ += o.total_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
  sum_ += o.sum_;
}

void LatencyHistogram::clear() {
  *this = LatencyHistogram();
}

uint64_t LatencyHistogram::percentile(double p) const {
  if (total_ == 0) return 0;
  const double clamped = std::clamp(p, 0.0, 100.0);
  uint64_t target = static_cast<uint64_t>(std::ceil(clamped / 100.0 * static_cast<double>(total_)));
  target = std::max<uint64_t>(target, 1);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= target) return std::min(highest_in(i), max_);
  }
  return max_;
}

}  // namespace symphony::bench
