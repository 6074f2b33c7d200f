#pragma once
// Checks an incoming message before anything is enqueued: non-empty type, payload a JSON object,
// metadata a JSON object or absent, header and size limits, priority 1..10 (or 0 for "default"),
// queue name and schedule well formed. Errors are typed (protocol::ErrorCode) with a detail text
// that names the offending field.
#include <memory>
#include <string>
#include <string_view>

#include "protocol/dispatch.h"
#include "protocol/error_code.h"
#include "protocol/handshake.h"

namespace symphony::broker {

/// JSON validation with simdjson. Holds one parser and one padded scratch buffer that are reused
/// for every message, so validation does not allocate on the hot path.
class JsonValidator {
 public:
  JsonValidator();
  ~JsonValidator();
  JsonValidator(const JsonValidator&) = delete;
  JsonValidator& operator=(const JsonValidator&) = delete;

  /// True when `text` is a single valid JSON document whose root is an object.
  bool is_object(std::string_view text);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Longest accepted idempotency key.
inline constexpr size_t kMaxIdempotencyKeyBytes = 255;

/// Queue names: 1..max bytes of [A-Za-z0-9._:-].
bool is_valid_queue_name(std::string_view name, size_t max_bytes);

struct ValidationError {
  protocol::ErrorCode code = protocol::ErrorCode::kOk;
  std::string detail;
  bool ok() const { return code == protocol::ErrorCode::kOk; }
};

class MessageValidator {
 public:
  explicit MessageValidator(const protocol::ServerLimits& limits) : limits_(limits) {}

  ValidationError validate(const protocol::DispatchMessage& m);

 private:
  protocol::ServerLimits limits_;
  JsonValidator json_;
};

}  // namespace symphony::broker
