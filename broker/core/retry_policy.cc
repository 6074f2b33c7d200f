#include "broker/core/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace symphony::broker {

uint32_t RetryPolicy::delay_for(uint32_t n) const {
  if (n == 0) n = 1;
  // computed in double and capped before converting, so large n cannot overflow
  const double d = static_cast<double>(delay_ms) * std::pow(multiplier, static_cast<double>(n - 1));
  return static_cast<uint32_t>(std::min(d, static_cast<double>(max_delay_ms)));
}

uint32_t RetryPolicy::delay_for(uint32_t n, double unit_random) const {
  const double base = delay_for(n);
  if (jitter <= 0.0) return static_cast<uint32_t>(base);
  const double spread = base * std::clamp(jitter, 0.0, 1.0) * (2.0 * unit_random - 1.0);
  return static_cast<uint32_t>(std::max(0.0, base + spread));
}

}  // namespace symphony::broker
