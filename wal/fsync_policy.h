#pragma once
// When a commit group is forced to stable storage (see docs/architecture.md, "Durability").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace symphony::wal {

struct FsyncPolicy {
  enum class Mode : uint8_t {
    kAlways,    ///< every commit group is fsynced before its records are confirmed
    kInterval,  ///< groups are written at once and fsynced every interval_ms
    kNever,     ///< groups are written to the OS; the OS decides when they reach the disk
  };
  Mode mode = Mode::kAlways;  ///< Default: always
  uint32_t interval_ms = 0;

  /// "always", "never" or "interval:<ms>" (ms >= 1); nullopt otherwise.
  static std::optional<FsyncPolicy> parse(std::string_view text);
  std::string to_string() const;
};

}  // namespace symphony::wal
