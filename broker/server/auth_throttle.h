#pragma once
// Slows down token guessing per client address: after a few failed authentications from one
// address, the answers to that address wait, exponentially longer per failure, up to a cap.
// Pure: no clock, no I/O (time comes in with each call), so it is tested without sleeps; the
// waiting itself is AuthGate's job (an Asio timer). Used by both doors: HELLO on the binary
// protocol and Authorization: Bearer on the admin API.
//
// The delay of an attempt is what its address earned *before* it: with n failures in the window,
//   n < free_failures            -> 0
//   otherwise                    -> min(base_delay * 2^(n - free_failures), max_delay)
// so by default the first 3 wrong tokens are answered at once, then 250 ms, 500 ms, 1 s, 2 s, and
// 4 s for every later one. Every attempt from a slowed address waits, a right token too:
// otherwise a missing quick WELCOME would tell a wrong guess as fast as an answer would. A right
// token forgets the address (its next attempt is answered at once). An address with no failure
// for `window` starts afresh. AuthGate does not count an attempt with no token at all here: it
// guesses nothing.
//
// Memory is bounded: at most max_addresses addresses are tracked; a new one evicts the one
// whose last failure is oldest. IPv6 addresses count per /64 (what one host usually holds), so
// rotating through its own addresses does not escape the count.
//
// Thread-safety: none (the event loop's thread).
#include <chrono>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace symphony::server {

struct AuthThrottleOptions {
  /// Failures from one address answered without delay (at least 1: an address that never
  /// failed is never slowed). Default: 3
  uint32_t free_failures = 3;
  /// The first delay; it doubles with each further failure. Default: 250 ms
  std::chrono::milliseconds base_delay{250};
  /// The longest delay; 0 turns the throttle off. Default: 4000 ms
  std::chrono::milliseconds max_delay{4000};
  /// An address with no failure for this long starts afresh. Default: 60 s
  std::chrono::milliseconds window{60'000};
  /// Addresses tracked at most (about 100 bytes each). Default: 4096
  size_t max_addresses = 4096;
};

class AuthThrottle {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit AuthThrottle(AuthThrottleOptions options = {});

  /// Records one authentication attempt from `address` (a throttle_key()) at `now`, accepted or
  /// not, and returns how long its answer must wait (0: answer at once).
  std::chrono::milliseconds attempt(const std::string& address, bool accepted, TimePoint now);

  /// Failures counted for `address` at `now` (0 once its window has passed).
  uint32_t failures(const std::string& address, TimePoint now) const;
  size_t tracked() const { return entries_.size(); }
  bool enabled() const { return options_.max_delay.count() > 0; }
  const AuthThrottleOptions& options() const { return options_; }

 private:
  struct Entry {
    std::string address;
    uint32_t failures = 0;
    TimePoint last_failure;
  };
  using List = std::list<Entry>;  ///< most recent failure first

  std::chrono::milliseconds delay_for(uint32_t failures) const;

  AuthThrottleOptions options_;
  List entries_;
  std::unordered_map<std::string, List::iterator> index_;
};

/// The address a remote endpoint is throttled by: "1.2.3.4:5678" -> "1.2.3.4";
/// "[2001:db8::1]:5678" -> "2001:db8::/64"; an IPv4-mapped IPv6 address -> its IPv4 form.
/// Anything unparsable is returned as it is (it still counts, under that name).
std::string throttle_key(std::string_view remote);

}  // namespace symphony::server
