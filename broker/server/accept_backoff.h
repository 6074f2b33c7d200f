#pragma once
// What an accept loop does after an accept error, as plain logic (no sockets, no clock of its
// own), so that it is tested without descriptors running out: a pause that doubles from 10 ms to
// 1 s and starts over after a success, and a log throttle that lets one line through per interval
// and counts the ones it held back.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

namespace symphony::server {

class AcceptBackoff {
 public:
  static constexpr std::chrono::milliseconds kFirst{10};
  static constexpr std::chrono::milliseconds kMax{1000};

  /// The pause before the next accept after one more error in a row.
  std::chrono::milliseconds on_error() {
    const auto pause = next_;
    next_ = std::min(next_ * 2, kMax);
    return pause;
  }
  /// An accept succeeded: the next error pauses kFirst again.
  void on_success() { next_ = kFirst; }

 private:
  std::chrono::milliseconds next_ = kFirst;
};

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  /// Default: one line per 10 s.
  explicit LogThrottle(std::chrono::milliseconds interval = std::chrono::seconds(10))
      : interval_(interval) {}

  /// One more event at `now`: the number of events held back since the last line written, when a
  /// line is due now; nothing (the event is counted) otherwise.
  std::optional<uint64_t> admit(Clock::time_point now) {
    if (last_ && now - *last_ < interval_) {
      ++suppressed_;
      return std::nullopt;
    }
    last_ = now;
    const uint64_t held_back = suppressed_;
    suppressed_ = 0;
    return held_back;
  }

 private:
  std::chrono::milliseconds interval_;
  std::optional<Clock::time_point> last_;
  uint64_t suppressed_ = 0;
};

}  // namespace symphony::server
