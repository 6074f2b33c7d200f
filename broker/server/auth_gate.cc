#include "broker/server/auth_gate.h"

#include <fmt/format.h>

#include "broker/server/logging.h"

namespace symphony::server {

AuthGate::AuthGate(boost::asio::io_context& io, AuthThrottleOptions options)
    : io_(io), throttle_(options) {}

AuthGate::~AuthGate() {
  stop();
}

std::chrono::milliseconds AuthGate::admit(const AuthAttempt& attempt,
                                          std::function<void()> answer) {
  spdlog::logger& log = attempt.door == AuthDoor::kHello ? logs::net() : logs::admin();
  const std::string_view door = attempt.door == AuthDoor::kHello ? "HELLO" : "admin API";
  const std::string address = throttle_key(attempt.remote);
  const auto now = std::chrono::steady_clock::now();
  const bool guess = attempt.accepted || !attempt.token_missing;
  const auto delay =
      guess ? throttle_.attempt(address, attempt.accepted, now) : std::chrono::milliseconds(0);
  if (!attempt.accepted) {
    ++failures_;
    // the remote is an address the socket reported, the reason one of the doors' fixed texts:
    // nothing the client wrote reaches this line
    std::string slowed;
    if (throttle_.enabled()) {
      slowed =
          fmt::format("; {} recent failures from {}", throttle_.failures(address, now), address);
      if (delay.count() > 0) slowed += fmt::format("; answer delayed {} ms", delay.count());
    }
    log.warn("auth failure from {} ({}): {}{}", attempt.remote, door, attempt.reason, slowed);
  } else if (delay.count() > 0) {
    log.info("{} from {} accepted after a delay of {} ms (earlier failures from {})", door,
             attempt.remote, delay.count(), address);
  }
  if (stopped_) return delay;
  if (delay.count() == 0) {
    answer();
    return delay;
  }
  ++throttled_;
  const uint64_t id = next_timer_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, delay);
  timer->async_wait([this, id, answer = std::move(answer)](const boost::system::error_code& ec) {
    if (ec) return;  // stop(): the answer is dropped with its connection
    timers_.erase(id);
    answer();
  });
  timers_.emplace(id, std::move(timer));
  return delay;
}

void AuthGate::stop() {
  stopped_ = true;
  for (auto& [id, timer] : timers_) timer->cancel();
  timers_.clear();
}

}  // namespace symphony::server
