#include "broker/core/metrics.h"

#include <algorithm>

namespace symphony::broker {

void PromHistogram::observe(double value) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  ++buckets_[static_cast<size_t>(it - bounds_.begin())];
  ++count_;
  sum_ += value;
}

uint64_t PromHistogram::cumulative(size_t i) const {
  uint64_t total = 0;
  for (size_t b = 0; b <= i && b <= bounds_.size(); ++b) total += buckets_[b];
  return total;
}

RateWindow::Counts& RateWindow::Counts::operator+=(const Counts& o) {
  dispatched += o.dispatched;
  acked += o.acked;
  retried += o.retried;
  failed += o.failed;
  expired += o.expired;
  processing_ms += o.processing_ms;
  processed += o.processed;
  return *this;
}

template <size_t N>
RateWindow::Counts& RateWindow::slot(std::array<Slot, N>& ring, int64_t length, TimeMs now) {
  const int64_t index = now / length;
  Slot& s = ring[static_cast<size_t>(index) % N];
  if (s.index != index) {  // a slot from a previous lap: start it again
    s.index = index;
    s.counts = {};
  }
  return s.counts;
}

void RateWindow::add(TimeMs now, Event e, uint64_t n) {
  for (Counts* c : {&slot(fine_, kFineMs, now), &slot(coarse_, kCoarseMs, now)}) {
    switch (e) {
      case Event::kDispatched: c->dispatched += n; break;
      case Event::kAcked: c->acked += n; break;
      case Event::kRetried: c->retried += n; break;
      case Event::kFailed: c->failed += n; break;
      case Event::kExpired: c->expired += n; break;
    }
  }
}

void RateWindow::add_processing(TimeMs now, TimeMs ms) {
  for (Counts* c : {&slot(fine_, kFineMs, now), &slot(coarse_, kCoarseMs, now)}) {
    c->processing_ms += static_cast<uint64_t>(std::max<TimeMs>(ms, 0));
    ++c->processed;
  }
}

RateWindow::Counts RateWindow::over(TimeMs now, int minutes) const {
  Counts out;
  const bool fine = minutes <= 5;
  const int64_t length = fine ? kFineMs : kCoarseMs;
  // whole slots that started within the span, plus the current partial one
  const int64_t newest = now / length;
  const int64_t oldest = (now - static_cast<int64_t>(minutes) * 60'000) / length + 1;
  auto sum = [&](const auto& ring) {
    for (const Slot& s : ring) {
      if (s.index >= oldest && s.index <= newest) out += s.counts;
    }
  };
  if (fine) {
    sum(fine_);
  } else {
    sum(coarse_);
  }
  return out;
}

}  // namespace symphony::broker
