#pragma once
// The memory alarm (docs/architecture.md §3, "Memory limit"): the broker's memory figure is the
// process's resident set, sampled at most every kSampleIntervalMs, plus an estimate of what the
// messages accepted since that sample will hold. At the limit (the high watermark) the alarm is
// raised and new messages are refused with MEMORY_LIMIT; it is cleared once the figure is under
// kLowWatermark of the limit. Freed heap memory is given back to the OS (malloc_trim, at most
// once per kTrimIntervalMs) before the alarm is raised and while it is on, so memory that glibc
// keeps after a drain does not hold the alarm up for ever. The precedents are RabbitMQ's memory
// alarm (vm_memory_high_watermark 0.6) and Redis's maxmemory.
//
// Pure logic: the probe is injected, time comes in as an argument. Not thread-safe.
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/core/types.h"

namespace symphony::server {

/// The `limits.max_memory` setting: off, a number of bytes, or a fraction of the machine's
/// memory (the cgroup's limit when it has a lower one). Default: 60%
struct MemoryLimit {
  enum class Kind { kOff, kBytes, kFraction };
  Kind kind = Kind::kFraction;
  uint64_t bytes = 0;
  double fraction = 0.6;

  /// "off", "0", "2GiB", "512MiB", "1073741824", or "60%" (1%..100%; fractions allowed). The
  /// smallest byte limit is 64 MiB: below that the broker's own fixed memory would keep the alarm
  /// on.
  static bool parse(std::string_view text, MemoryLimit& out, std::string& error);
  /// The setting as parse() reads it ("60%", "2GiB", "off").
  std::string to_string() const;
  /// The limit in bytes on a machine with `machine_bytes` of memory; 0 when off.
  uint64_t resolve(uint64_t machine_bytes) const;
};

/// "1.50 GiB", "300 MiB", "12 KiB", "12 B".
std::string format_bytes(uint64_t bytes);

class MemoryGuard {
 public:
  /// Where the figure comes from.
  class Probe {
   public:
    virtual ~Probe() = default;
    /// Bytes resident now.
    virtual uint64_t resident() = 0;
    /// Gives freed memory back to the OS.
    virtual void release_free() = 0;
  };

  /// The alarm clears under this fraction of the limit.
  static constexpr double kLowWatermark = 0.9;
  static constexpr broker::TimeMs kSampleIntervalMs = 50;
  static constexpr broker::TimeMs kTrimIntervalMs = 1000;

  enum class Change { kNone, kRaised, kCleared };

  /// `limit` 0: no limit (the figure is still kept, for /metrics).
  MemoryGuard(uint64_t limit, Probe& probe);

  /// Samples if kSampleIntervalMs have passed since the last sample.
  Change maybe_sample(broker::TimeMs now);
  /// Reads the probe now (trimming first when over the limit or in alarm, at most once per
  /// kTrimIntervalMs) and forgets the estimate of messages accepted before.
  Change sample(broker::TimeMs now);
  /// Messages accepted since the last sample will hold about `bytes`.
  Change add(uint64_t bytes);

  bool alarm() const { return alarm_; }
  /// The current figure: the last sample plus what was added since.
  uint64_t used() const { return sampled_ + added_; }
  uint64_t limit() const { return limit_; }
  uint64_t low_watermark() const { return low_; }

 private:
  Change update();

  uint64_t limit_;
  uint64_t low_;
  Probe& probe_;
  uint64_t sampled_ = 0;
  uint64_t added_ = 0;
  broker::TimeMs last_sample_ = 0;
  broker::TimeMs last_trim_ = 0;
  bool sampled_once_ = false;
  bool trimmed_once_ = false;
  bool alarm_ = false;
};

}  // namespace symphony::server
