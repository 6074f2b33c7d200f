#include "broker/server/memory_guard.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace symphony::server {

namespace {
constexpr uint64_t kMinLimitBytes = uint64_t{64} << 20;
}  // namespace

bool MemoryLimit::parse(std::string_view text, MemoryLimit& out, std::string& error) {
  if (text == "off" || text == "0") {
    out = MemoryLimit{Kind::kOff, 0, 0};
    return true;
  }
  if (!text.empty() && text.back() == '%') {
    double pct = 0;
    const auto num = text.substr(0, text.size() - 1);
    auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), pct);
    if (ec != std::errc() || end != num.data() + num.size() || !(pct >= 1 && pct <= 100)) {
      error = fmt::format("'{}' is not a percentage of 1% to 100%", text);
      return false;
    }
    out = MemoryLimit{Kind::kFraction, 0, pct / 100.0};
    return true;
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) {
    error = fmt::format("'{}' is not a size (e.g. 2GiB, 512MiB, 60%, or off)", text);
    return false;
  }
  const std::string_view unit = text.substr(static_cast<size_t>(end - text.data()));
  int shift = 0;
  if (unit == "" || unit == "B") {
    shift = 0;
  } else if (unit == "KiB") {
    shift = 10;
  } else if (unit == "MiB") {
    shift = 20;
  } else if (unit == "GiB") {
    shift = 30;
  } else if (unit == "TiB") {
    shift = 40;
  } else {
    error = fmt::format("'{}': the unit must be B, KiB, MiB, GiB or TiB", text);
    return false;
  }
  if (value > (uint64_t{1} << (62 - shift))) {
    error = fmt::format("'{}' is too large", text);
    return false;
  }
  value <<= shift;
  if (value < kMinLimitBytes) {
    error = fmt::format("'{}' is under the smallest limit of 64MiB", text);
    return false;
  }
  out = MemoryLimit{Kind::kBytes, value, 0};
  return true;
}

std::string MemoryLimit::to_string() const {
  switch (kind) {
    case Kind::kOff: return "off";
    // 10 significant digits: 0.07 * 100 is 7.000000000000001 in binary floating point
    case Kind::kFraction: return fmt::format("{:.10g}%", fraction * 100.0);
    case Kind::kBytes: break;
  }
  for (const auto& [shift, unit] : {std::pair{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}}) {
    const uint64_t one = uint64_t{1} << shift;
    if (bytes % one == 0) return fmt::format("{}{}", bytes / one, unit);
  }
  return std::to_string(bytes);
}

uint64_t MemoryLimit::resolve(uint64_t machine_bytes) const {
  switch (kind) {
    case Kind::kOff: return 0;
    case Kind::kBytes: return bytes;
    case Kind::kFraction:
      return std::max(
          kMinLimitBytes,
          static_cast<uint64_t>(std::llround(fraction * static_cast<double>(machine_bytes))));
  }
  return 0;
}

std::string format_bytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30)) return fmt::format("{:.2f} GiB", bytes / double(1 << 30));
  if (bytes >= (uint64_t{1} << 20)) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= (uint64_t{1} << 10)) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} B", bytes);
}

MemoryGuard::MemoryGuard(uint64_t limit, Probe& probe)
    : limit_(limit),
      low_(static_cast<uint64_t>(kLowWatermark * static_cast<double>(limit))),
      probe_(probe) {}

MemoryGuard::Change MemoryGuard::maybe_sample(broker::TimeMs now) {
  if (sampled_once_ && now >= last_sample_ && now - last_sample_ < kSampleIntervalMs) {
    return Change::kNone;
  }
  return sample(now);
}

MemoryGuard::Change MemoryGuard::sample(broker::TimeMs now) {
  uint64_t resident = probe_.resident();
  const bool trim_due = !trimmed_once_ || now < last_trim_ || now - last_trim_ >= kTrimIntervalMs;
  if (limit_ != 0 && (alarm_ || resident >= limit_) && trim_due) {
    probe_.release_free();
    resident = probe_.resident();
    last_trim_ = now;
    trimmed_once_ = true;
  }
  sampled_ = resident;
  added_ = 0;
  last_sample_ = now;
  sampled_once_ = true;
  return update();
}

MemoryGuard::Change MemoryGuard::add(uint64_t bytes) {
  added_ += bytes;
  return update();
}

MemoryGuard::Change MemoryGuard::update() {
  if (limit_ == 0) return Change::kNone;
  if (!alarm_ && used() >= limit_) {
    alarm_ = true;
    return Change::kRaised;
  }
  if (alarm_ && used() < low_) {
    alarm_ = false;
    return Change::kCleared;
  }
  return Change::kNone;
}

}  // namespace symphony::server
