#include "broker/core/message_validator.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstring>
#include <vector>

#include "protocol/message_body.h"

namespace symphony::broker {

using protocol::ErrorCode;

struct JsonValidator::Impl {
  simdjson::dom::parser parser;
  std::vector<char> scratch;
};

JsonValidator::JsonValidator() : impl_(std::make_unique<Impl>()) {}
JsonValidator::~JsonValidator() = default;

bool JsonValidator::is_object(std::string_view text) {
  // simdjson reads up to SIMDJSON_PADDING bytes past the end; copy into a reused padded buffer
  // rather than letting it allocate a padded copy per call.
  const size_t need = text.size() + simdjson::SIMDJSON_PADDING;
  if (impl_->scratch.size() < need) impl_->scratch.resize(need);
  std::memcpy(impl_->scratch.data(), text.data(), text.size());
  std::memset(impl_->scratch.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  simdjson::dom::element root;
  if (impl_->parser.parse(impl_->scratch.data(), text.size(), false).get(root)) return false;
  return root.is_object();
}

bool is_valid_queue_name(std::string_view name, size_t max_bytes) {
  if (name.empty() || name.size() > max_bytes) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == ':';
    if (!ok) return false;
  }
  return true;
}

ValidationError MessageValidator::validate(const protocol::DispatchMessage& m) {
  auto fail = [](ErrorCode code, std::string detail) {
    return ValidationError{code, std::move(detail)};
  };
  if (m.type.empty()) return fail(ErrorCode::kEmptyType, "type must not be empty");
  if (m.type.size() > limits_.max_type_bytes) {
    return fail(ErrorCode::kMessageTooLarge,
                fmt::format("type is {} bytes, limit {}", m.type.size(), limits_.max_type_bytes));
  }
  if (m.payload.size() > limits_.max_payload_bytes) {
    return fail(
        ErrorCode::kMessageTooLarge,
        fmt::format("payload is {} bytes, limit {}", m.payload.size(), limits_.max_payload_bytes));
  }
  if (m.metadata.size() > limits_.max_metadata_bytes) {
    return fail(ErrorCode::kMessageTooLarge,
                fmt::format("metadata is {} bytes, limit {}", m.metadata.size(),
                            limits_.max_metadata_bytes));
  }
  if (m.headers.count > limits_.max_headers) {
    return fail(ErrorCode::kTooManyHeaders,
                fmt::format("{} headers, limit {}", m.headers.count, limits_.max_headers));
  }
  if (m.priority != protocol::kDefaultPriorityMarker &&
      (m.priority < protocol::kMinPriority || m.priority > protocol::kMaxPriority)) {
    return fail(ErrorCode::kPriorityOutOfRange,
                fmt::format("priority {} is outside 1..10", m.priority));
  }
  if (!m.queue.empty() && !is_valid_queue_name(m.queue, limits_.max_type_bytes)) {
    return fail(ErrorCode::kInvalidQueueName,
                "queue name must be 1..255 characters of [A-Za-z0-9._:-]");
  }
  if (m.when == protocol::When::kDelayMs && m.when_value < 0) {
    return fail(ErrorCode::kInvalidSchedule, fmt::format("delay {} ms is negative", m.when_value));
  }
  if (m.when == protocol::When::kAtUnixMs && m.when_value < 0) {
    return fail(ErrorCode::kInvalidSchedule,
                fmt::format("scheduled_at {} is before 1970", m.when_value));
  }
  if (m.idempotency_key.size() > kMaxIdempotencyKeyBytes) {
    return fail(ErrorCode::kMessageTooLarge,
                fmt::format("idempotency key is {} bytes, limit {}", m.idempotency_key.size(),
                            kMaxIdempotencyKeyBytes));
  }
  std::string bad_header;
  m.headers.for_each([&](std::string_view k, std::string_view) {
    if (bad_header.empty() && (k.empty() || protocol::is_automatic_header(k))) {
      bad_header = k.empty() ? std::string("header name must not be empty")
                             : fmt::format("header '{}' is set by the broker", k);
    }
  });
  if (!bad_header.empty()) return fail(ErrorCode::kInvalidHeader, std::move(bad_header));
  if (!json_.is_object(m.payload)) {
    return fail(ErrorCode::kInvalidPayload, "payload must be a JSON object");
  }
  if (!m.metadata.empty() && !json_.is_object(m.metadata)) {
    return fail(ErrorCode::kInvalidMetadata, "metadata must be a JSON object");
  }
  return {};
}

}  // namespace symphony::broker
