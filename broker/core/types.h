#pragma once
#include <cstdint>

namespace symphony::broker {

/// Unique for the lifetime of a data directory; never reused, also across restarts.
using MessageId = uint64_t;
/// The session a consumer speaks through (one per connection).
using ConsumerId = uint64_t;
/// Unix time in milliseconds. The core never reads a clock: every command brings `now`.
using TimeMs = int64_t;

}  // namespace symphony::broker
