#include "broker/server/auth_throttle.h"

#include <algorithm>

#include "broker/server/asio.h"

namespace symphony::server {

AuthThrottle::AuthThrottle(AuthThrottleOptions options) : options_(options) {
  options_.max_addresses = std::max<size_t>(options_.max_addresses, 1);
  options_.free_failures = std::max<uint32_t>(options_.free_failures, 1);
}

std::chrono::milliseconds AuthThrottle::delay_for(uint32_t failures) const {
  if (!enabled() || failures < options_.free_failures) return std::chrono::milliseconds(0);
  const uint32_t doublings = std::min<uint32_t>(failures - options_.free_failures, 30);
  const auto d = options_.base_delay * (int64_t{1} << doublings);
  return std::min(d, options_.max_delay);
}

uint32_t AuthThrottle::failures(const std::string& address, TimePoint now) const {
  auto it = index_.find(address);
  if (it == index_.end()) return 0;
  const Entry& e = *it->second;
  return now - e.last_failure >= options_.window ? 0 : e.failures;
}

std::chrono::milliseconds AuthThrottle::attempt(const std::string& address, bool accepted,
                                                TimePoint now) {
  if (!enabled()) return std::chrono::milliseconds(0);
  const uint32_t before = failures(address, now);
  const auto delay = delay_for(before);
  auto it = index_.find(address);
  if (accepted) {
    if (it != index_.end()) {
      entries_.erase(it->second);
      index_.erase(it);
    }
    return delay;
  }
  if (it != index_.end()) {
    // most recent failure first: the list stays ordered by last failure
    entries_.splice(entries_.begin(), entries_, it->second);
  } else {
    if (entries_.size() >= options_.max_addresses) {
      index_.erase(entries_.back().address);
      entries_.pop_back();
    }
    entries_.push_front(Entry{address, 0, now});
    index_[address] = entries_.begin();
  }
  Entry& e = entries_.front();
  e.failures = before + 1;  // `before` is 0 when the window had passed
  e.last_failure = now;
  return delay;
}

std::string throttle_key(std::string_view remote) {
  std::string_view host = remote;
  if (const size_t colon = remote.rfind(':'); colon != std::string_view::npos) {
    host = remote.substr(0, colon);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return std::string(remote);
  if (a.is_v4()) return a.to_v4().to_string();
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  }
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace symphony::server
