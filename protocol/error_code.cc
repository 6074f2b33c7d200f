#include "protocol/error_code.h"

namespace symphony::protocol {

std::string_view error_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "OK";
    case ErrorCode::kMalformedFrame: return "MALFORMED_FRAME";
    case ErrorCode::kFrameTooLarge: return "FRAME_TOO_LARGE";
    case ErrorCode::kUnknownOpcode: return "UNKNOWN_OPCODE";
    case ErrorCode::kUnsupportedVersion: return "UNSUPPORTED_VERSION";
    case ErrorCode::kHelloRequired: return "HELLO_REQUIRED";
    case ErrorCode::kUnexpectedFrame: return "UNEXPECTED_FRAME";
    case ErrorCode::kAuthFailed: return "AUTH_FAILED";
    case ErrorCode::kEmptyType: return "EMPTY_TYPE";
    case ErrorCode::kInvalidPayload: return "INVALID_PAYLOAD";
    case ErrorCode::kInvalidMetadata: return "INVALID_METADATA";
    case ErrorCode::kPriorityOutOfRange: return "PRIORITY_OUT_OF_RANGE";
    case ErrorCode::kInvalidQueueName: return "INVALID_QUEUE_NAME";
    case ErrorCode::kInvalidSchedule: return "INVALID_SCHEDULE";
    case ErrorCode::kInvalidHeader: return "INVALID_HEADER";
    case ErrorCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case ErrorCode::kUnknownMessage: return "UNKNOWN_MESSAGE";
    case ErrorCode::kNotLeaseHolder: return "NOT_LEASE_HOLDER";
    case ErrorCode::kQueueNotFound: return "QUEUE_NOT_FOUND";
    case ErrorCode::kNotSubscribed: return "NOT_SUBSCRIBED";
    case ErrorCode::kUnknownSchedule: return "UNKNOWN_SCHEDULE";
    case ErrorCode::kBackupRunning: return "BACKUP_RUNNING";
    case ErrorCode::kMessageTooLarge: return "MESSAGE_TOO_LARGE";
    case ErrorCode::kBatchTooLarge: return "BATCH_TOO_LARGE";
    case ErrorCode::kQueueFull: return "QUEUE_FULL";
    case ErrorCode::kTooManyHeaders: return "TOO_MANY_HEADERS";
    case ErrorCode::kMemoryLimit: return "MEMORY_LIMIT";
    case ErrorCode::kTooManyConnections: return "TOO_MANY_CONNECTIONS";
    case ErrorCode::kStorageError: return "STORAGE_ERROR";
    case ErrorCode::kShuttingDown: return "SHUTTING_DOWN";
    case ErrorCode::kInternal: return "INTERNAL";
    case ErrorCode::kStorageFull: return "STORAGE_FULL";
  }
  return "UNKNOWN_ERROR";
}

bool is_known_error(uint16_t value) {
  return error_name(static_cast<ErrorCode>(value)) != "UNKNOWN_ERROR";
}

ErrorCategory error_category(ErrorCode code) {
  switch (static_cast<uint16_t>(code) / 100) {
    case 0: return ErrorCategory::kNone;
    case 1: return ErrorCategory::kProtocol;
    case 2: return ErrorCategory::kAuth;
    case 3: return ErrorCategory::kValidation;
    case 4: return ErrorCategory::kState;
    case 5: return ErrorCategory::kLimit;
    default: return ErrorCategory::kServer;
  }
}

std::string_view category_name(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::kNone: return "none";
    case ErrorCategory::kProtocol: return "protocol";
    case ErrorCategory::kAuth: return "auth";
    case ErrorCategory::kValidation: return "validation";
    case ErrorCategory::kState: return "state";
    case ErrorCategory::kLimit: return "limit";
    case ErrorCategory::kServer: return "server";
  }
  return "server";
}

}  // namespace symphony::protocol
