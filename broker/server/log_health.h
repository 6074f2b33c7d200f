#pragma once
// LogHealth: whether the log takes writes, as the log writer last reported. A failed write
// (a full disk, an I/O error) makes it unwritable until a write succeeds again: the writer
// keeps the records and retries, and RocksDB resumes by itself once the file system has room.
// While it is unwritable, BrokerService refuses what would add records with STORAGE_FULL or
// STORAGE_ERROR, /health says unhealthy and why, and reads keep working.
//
// Pure: the caller passes the time and logs the transitions this returns.
#include <cstdint>
#include <string>

#include "broker/core/types.h"
#include "protocol/error_code.h"
#include "wal/log_store.h"

namespace symphony::server {

class LogHealth {
 public:
  enum class Change : uint8_t { kNone, kFailed, kRecovered };

  /// One report of the log writer: a failed write attempt (`ok` false) or a written group.
  /// `waiting_records`: records of the failed attempt, kept for the next one.
  Change on_write(const wal::StoreStatus& status, uint32_t waiting_records, broker::TimeMs now);

  bool writable() const { return writable_; }
  /// STORAGE_FULL when the file system is full, else STORAGE_ERROR; kOk while writable.
  protocol::ErrorCode refusal() const;
  /// Why a request is refused, for the client: what failed and that the broker resumes.
  std::string refusal_text() const;
  /// The health reason: what failed, since when, how many records wait.
  std::string health_reason(broker::TimeMs now) const;
  /// The last failure's message (RocksDB's words).
  const std::string& last_error() const { return last_error_; }
  broker::TimeMs failing_since() const { return failing_since_; }
  uint64_t failures() const { return failures_; }

 private:
  bool writable_ = true;
  bool full_ = false;
  std::string last_error_;
  broker::TimeMs failing_since_ = 0;
  uint32_t waiting_records_ = 0;
  uint64_t failures_ = 0;  ///< failed write attempts since start
};

}  // namespace symphony::server
