#pragma once
// Exponential backoff (seeds: retry.ts): the delay before retry n (n = 1 for the first retry) is
// min(delay_ms * multiplier^(n-1), max_delay_ms), optionally spread by +/- jitter.
#include <cstdint>

namespace symphony::broker {

struct RetryPolicy {
  uint16_t max_retries = 3;       ///< Default: 3
  uint32_t delay_ms = 1000;       ///< Default: 1000
  double multiplier = 2.0;        ///< Default: 2.0
  uint32_t max_delay_ms = 30000;  ///< Default: 30000
  double jitter = 0.0;            ///< fraction of the delay, 0..1. Default: 0 (none)

  /// Backoff before retry `n` (1-based), without jitter.
  uint32_t delay_for(uint32_t n) const;
  /// Backoff with jitter applied from `unit_random` in [0, 1) (injected, so tests are exact).
  uint32_t delay_for(uint32_t n, double unit_random) const;
};

}  // namespace symphony::broker

#include <string>
#include <string_view>
#include <unordered_map>

namespace symphony::broker {

/// The default policy plus overrides by message type (seeds: retry.default, retry.EmailMessage).
class RetryPolicies {
 public:
  RetryPolicy& default_policy() { return default_; }
  const RetryPolicy& default_policy() const { return default_; }
  void set(std::string type, const RetryPolicy& policy) { by_type_[std::move(type)] = policy; }
  const RetryPolicy& for_type(std::string_view type) const {
    auto it = by_type_.find(std::string(type));
    return it == by_type_.end() ? default_ : it->second;
  }
  const std::unordered_map<std::string, RetryPolicy>& overrides() const { return by_type_; }

 private:
  RetryPolicy default_;
  std::unordered_map<std::string, RetryPolicy> by_type_;
};

}  // namespace symphony::broker
