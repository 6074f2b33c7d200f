#include "wal/fsync_policy.h"

#include <charconv>

namespace symphony::wal {

std::optional<FsyncPolicy> FsyncPolicy::parse(std::string_view text) {
  if (text == "always") return FsyncPolicy{Mode::kAlways, 0};
  if (text == "never") return FsyncPolicy{Mode::kNever, 0};
  constexpr std::string_view kPrefix = "interval:";
  if (text.substr(0, kPrefix.size()) == kPrefix) {
    const std::string_view num = text.substr(kPrefix.size());
    uint32_t ms = 0;
    const auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), ms);
    if (ec == std::errc() && end == num.data() + num.size() && ms >= 1) {
      return FsyncPolicy{Mode::kInterval, ms};
    }
  }
  return std::nullopt;
}

std::string FsyncPolicy::to_string() const {
  switch (mode) {
    case Mode::kAlways: return "always";
    case Mode::kNever: return "never";
    case Mode::kInterval: return "interval:" + std::to_string(interval_ms);
  }
  return "always";
}

}  // namespace symphony::wal
