#include "broker/server/log_health.h"

#include <fmt/format.h>

namespace symphony::server {

LogHealth::Change LogHealth::on_write(const wal::StoreStatus& status, uint32_t waiting_records,
                                      broker::TimeMs now) {
  if (status.ok) {
    if (writable_) return Change::kNone;
    writable_ = true;
    waiting_records_ = 0;
    return Change::kRecovered;
  }
  ++failures_;
  full_ = status.kind == wal::StoreStatus::Kind::kFull;
  last_error_ = status.message;
  waiting_records_ = waiting_records;
  if (!writable_) return Change::kNone;
  writable_ = false;
  failing_since_ = now;
  return Change::kFailed;
}

protocol::ErrorCode LogHealth::refusal() const {
  if (writable_) return protocol::ErrorCode::kOk;
  return full_ ? protocol::ErrorCode::kStorageFull : protocol::ErrorCode::kStorageError;
}

std::string LogHealth::refusal_text() const {
  if (full_) {
    return "the broker's data directory is out of space, so nothing new can be logged; it "
           "resumes by itself once space is freed";
  }
  return "the broker's log cannot be written (an I/O error); it retries and resumes by itself "
         "once writes succeed";
}

std::string LogHealth::health_reason(broker::TimeMs now) const {
  return fmt::format(
      "log writes fail{} for {} s ({}); {} records wait to be written and "
      "requests that need the log are refused with {}",
      full_ ? " with the disk full" : "", (now - failing_since_) / 1000, last_error_,
      waiting_records_, protocol::error_name(refusal()));
}

}  // namespace symphony::server
