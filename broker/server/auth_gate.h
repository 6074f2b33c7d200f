#pragma once
// Where both doors (HELLO on the binary protocol, Authorization: Bearer on the admin API) report
// an authentication attempt once they have checked the token. The gate logs a refusal (the
// client's address and the reason, never the token), counts it for /metrics, asks the
// AuthThrottle how long the answer must wait, and runs the door's answer then: at once, or from
// an Asio timer, so the event loop never blocks. The door keeps its connection from doing
// anything else meanwhile.
//
// Thread-safety: none; everything on the io_context's one thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "broker/server/asio.h"
#include "broker/server/auth_throttle.h"

namespace symphony::server {

/// The two ways in that take a token.
enum class AuthDoor {
  kHello,     ///< HELLO on the binary protocol (logged by `net`)
  kAdminApi,  ///< Authorization: Bearer on the admin API (logged by `admin`)
};

/// One authentication attempt as a door saw it.
struct AuthAttempt {
  AuthDoor door = AuthDoor::kHello;
  std::string_view remote;  ///< "address:port" of the client
  bool accepted = false;
  std::string_view reason;  ///< why not, e.g. "wrong token" (never the token itself)
  /// No token at all: refused, logged and counted, but not a guess, so the throttle neither
  /// counts it nor holds it back (a dashboard's first request has no token yet, and a 401 to
  /// a request without one tells a guesser nothing).
  bool token_missing = false;
};

class AuthGate {
 public:
  AuthGate(boost::asio::io_context& io, AuthThrottleOptions options);
  ~AuthGate();

  /// Records `attempt` and runs `answer` once the address's delay (usually none) has passed.
  /// `answer` runs at most once, on the event loop; never after stop(). Returns the delay.
  std::chrono::milliseconds admit(const AuthAttempt& attempt, std::function<void()> answer);
  /// Cancels the answers still waiting (shutdown): their `answer` never runs.
  void stop();

  uint64_t failures() const { return failures_; }    ///< refused attempts, both doors
  uint64_t throttled() const { return throttled_; }  ///< answers that waited
  size_t waiting() const { return timers_.size(); }

 private:
  boost::asio::io_context& io_;
  AuthThrottle throttle_;
  std::unordered_map<uint64_t, std::unique_ptr<boost::asio::steady_timer>> timers_;
  uint64_t next_timer_ = 1;
  uint64_t failures_ = 0;
  uint64_t throttled_ = 0;
  bool stopped_ = false;
};

}  // namespace symphony::server
