#pragma once
// The numbers an operator watches (GET /metrics, GET /status, STATUS): kept by the core as it
// runs, so they follow the same injected clock as everything else.
//
// Plain fields updated by the one core thread, no atomics or registry (why not prometheus-cpp:
// docs/architecture.md §5); broker/server/metrics_text.* writes them in Prometheus's format.
#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "broker/core/types.h"

namespace symphony::broker {

/// A Prometheus histogram with fixed bucket bounds (cumulative on output).
class PromHistogram {
 public:
  /// Latency bounds in seconds: 0.5 ms .. 60 s, then +Inf.
  static constexpr std::array<double, 16> kSeconds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  /// Size bounds (records per commit group and the like): 1 .. 100k, then +Inf.
  static constexpr std::array<double, 11> kCounts = {1,    10,    50,    100,   500,   1000,
                                                     5000, 10000, 20000, 50000, 100000};
  static constexpr size_t kMaxBounds = 16;

  PromHistogram() : PromHistogram(kSeconds) {}
  template <size_t N>
  explicit PromHistogram(const std::array<double, N>& bounds) : bounds_(bounds.data(), N) {
    static_assert(N <= kMaxBounds);
  }
  void observe(double value);
  /// Upper bounds, ascending (+Inf is implied after the last).
  std::span<const double> bounds() const { return bounds_; }
  /// Count of observations <= bounds()[i] (cumulative), i in [0, bounds().size()].
  uint64_t cumulative(size_t i) const;
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::span<const double> bounds_;
  std::array<uint64_t, kMaxBounds + 1> buckets_{};  // [bounds().size()]: above every bound
  uint64_t count_ = 0;
  double sum_ = 0;
};

/// Event counts per time slot over the last hour, for rates over 1, 5 and 60 minutes: 10 s slots
/// for the last 5 minutes and 1 min slots for the hour.
class RateWindow {
 public:
  struct Counts {
    uint64_t dispatched = 0;
    uint64_t acked = 0;
    uint64_t retried = 0;
    uint64_t failed = 0;   ///< dead-lettered
    uint64_t expired = 0;  ///< leases that ran out
    uint64_t processing_ms = 0;
    uint64_t processed = 0;  ///< acks and nacks with a known processing time

    Counts& operator+=(const Counts& o);
  };
  enum class Event { kDispatched, kAcked, kRetried, kFailed, kExpired };

  void add(TimeMs now, Event e, uint64_t n = 1);
  void add_processing(TimeMs now, TimeMs ms);
  /// Counts over the `minutes` before now (1..5 from the fine slots, up to 60 from the coarse).
  Counts over(TimeMs now, int minutes) const;

 private:
  struct Slot {
    int64_t index = -1;  ///< now / slot length; -1: unused
    Counts counts;
  };
  static constexpr int64_t kFineMs = 10'000;
  static constexpr size_t kFineSlots = 31;  // 5 min + the current partial slot
  static constexpr int64_t kCoarseMs = 60'000;
  static constexpr size_t kCoarseSlots = 61;
  template <size_t N>
  static Counts& slot(std::array<Slot, N>& ring, int64_t length, TimeMs now);

  std::array<Slot, kFineSlots> fine_{};
  std::array<Slot, kCoarseSlots> coarse_{};
};

/// Per-queue counters and distributions.
struct QueueMetrics {
  uint64_t dispatched = 0;
  uint64_t delivered = 0;
  uint64_t acked = 0;
  uint64_t nacked_retryable = 0;
  uint64_t nacked_fatal = 0;
  uint64_t released = 0;
  uint64_t retried = 0;
  uint64_t dead_lettered = 0;
  uint64_t expired = 0;
  uint64_t duplicates = 0;
  PromHistogram processing;  ///< delivery -> ack or nack
  PromHistogram end_to_end;  ///< dispatch -> first delivery
  /// Allocated on a queue's first activity, so idle queues stay small.
  std::unique_ptr<RateWindow> window;

  RateWindow& rates() {
    if (!window) window = std::make_unique<RateWindow>();
    return *window;
  }
};

}  // namespace symphony::broker
