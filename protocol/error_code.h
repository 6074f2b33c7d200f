#pragma once
// Every error a client can see, with its wire value. The hundreds digit is the category, so a
// client can handle a whole family: 1xx protocol, 2xx auth, 3xx validation, 4xx state (unknown
// ids, wrong lease holder), 5xx limits, 6xx server and storage. docs/protocol.md lists them all.
#include <cstdint>
#include <string_view>

namespace symphony::protocol {

enum class ErrorCode : uint16_t {
  kOk = 0,
  // 1xx: the byte stream or a frame broke the protocol. The connection is closed after ERROR.
  kMalformedFrame = 100,
  kFrameTooLarge = 101,
  kUnknownOpcode = 102,
  kUnsupportedVersion = 103,
  kHelloRequired = 104,
  kUnexpectedFrame = 105,
  // 2xx: authentication.
  kAuthFailed = 200,
  // 3xx: a message or argument is invalid; nothing was changed.
  kEmptyType = 300,
  kInvalidPayload = 301,
  kInvalidMetadata = 302,
  kPriorityOutOfRange = 303,
  kInvalidQueueName = 304,
  kInvalidSchedule = 305,
  kInvalidHeader = 306,
  kInvalidArgument = 307,
  // 4xx: the request names something that does not exist or is not in the right state.
  kUnknownMessage = 400,
  kNotLeaseHolder = 401,
  kQueueNotFound = 402,
  kNotSubscribed = 403,
  kUnknownSchedule = 404,
  kBackupRunning = 405,
  // 5xx: a configured limit was exceeded.
  kMessageTooLarge = 500,
  kBatchTooLarge = 501,
  kQueueFull = 502,
  kTooManyHeaders = 503,
  kMemoryLimit = 504,
  kTooManyConnections = 505,
  // 6xx: the server could not do it.
  kStorageError = 600,
  kShuttingDown = 601,
  kInternal = 602,
  kStorageFull = 603,
};

enum class ErrorCategory : uint8_t {
  kNone,
  kProtocol,
  kAuth,
  kValidation,
  kState,
  kLimit,
  kServer
};

/// Stable upper-snake name, e.g. "PRIORITY_OUT_OF_RANGE"; "UNKNOWN_ERROR" for unlisted values.
std::string_view error_name(ErrorCode code);
ErrorCategory error_category(ErrorCode code);
std::string_view category_name(ErrorCategory category);
/// True for values this version defines (used to validate decoded codes).
bool is_known_error(uint16_t value);

}  // namespace symphony::protocol
