#pragma once
// The numbers an operator watches (GET /metrics, GET /status, STATUS): kept by the core as it
// runs, so they follow the same injected clock as everything else.
//
// Plain fields updated by the core's one thread, without atomics or a registry: the core stays
// free of shared state, which rules out instrumenting it with prometheus-cpp's metric objects.
#include <array>
#include <cstdint>
#include <memory>

#include "broker/core/types.h"

namespace symphony::broker {

/// A Prometheus histogram with fixed bucket bounds (seconds, cumulative on output).
class PromHistogram {
 public:
  /// Upper bounds in seconds: 0.5 ms .. 60 s, then +Inf.
  static constexpr std::array<double, 16> kBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  void observe(double seconds);
  /// Count of observations <= kBounds[i] (cumulative), i in [0, kBounds.size()].
  uint64_t cumulative(size_t i) const;
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::array<uint64_t, kBounds.size() + 1> buckets_{};  // last: above every bound
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
    uint64_t failed = 0;  ///< dead-lettered
    uint64_t processing_ms = 0;
    uint64_t processed = 0;  ///< acks and nacks with a known processing time

    Counts& operator+=(const Counts& o);
  };
  enum class Event { kDispatched, kAcked, kRetried, kFailed };

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
