#pragma once
// The persisted vocabulary of Symphony: one record per envelope state change.
//
// If you change any record layout below: bump kRecordFormatVersion, keep a reader for the old
// version in record_codec.cc, and document both in docs/architecture.md ("Log format").
//
// Record := u8 type, u32 payload_len, payload
// Every payload starts with u64 message_id (0 for records that are not about one envelope).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/schedule.h"

namespace symphony::wal {

inline constexpr uint16_t kRecordFormatVersion = 1;

enum class RecordType : uint8_t {
  kEnqueued = 1,          ///< a new envelope (dispatch): its id was never seen before
  kSnapshot = 2,          ///< the full current state of a live envelope, written by compaction;
                          ///< it replaces everything earlier about that id
  kLeased = 3,            ///< delivered to a consumer
  kAcked = 4,             ///< completed
  kRetryScheduled = 5,    ///< nacked (retryable): ready again at available_at
  kReturned = 6,          ///< lease ended without a verdict: back to ready now
  kDeadLettered = 7,      ///< moved to the dead-letter set
  kDeadRetried = 8,       ///< dead-letter moved back to its queue, retry count reset
  kDeleted = 9,           ///< dead-letter deleted
  kQueuePurged = 10,      ///< every ready and delayed envelope of a queue removed
  kIdempotencyKey = 11,   ///< a key still inside its window whose envelope is gone (compaction)
  kCompleted = 12,        ///< an acked envelope still inside its status retention (compaction)
  kScheduleSet = 13,      ///< the full state of a schedule: created, changed or fired
  kScheduleDeleted = 14,  ///< a schedule removed
};
inline constexpr uint8_t kMaxRecordType = 14;
std::string_view record_type_name(RecordType type);

/// The persisted envelope state. An enqueue is always pending; a compaction snapshot may be
/// leased (a lease does not survive a restart, but later acks in the log refer to it).
enum class PersistedState : uint8_t { kPending = 0, kDead = 1, kLeased = 2 };

/// Why a lease ended without ack or nack.
enum class ReturnReason : uint8_t { kLeaseExpired = 0, kConsumerGone = 1, kReleased = 2 };

/// The failure an expired lease or a lost consumer stands for, as the broker records it and as a
/// replay reconstructs it from a `returned` record.
inline constexpr std::string_view kLeaseExpiredError = "lease expired";
inline constexpr std::string_view kLeaseExpiredClass = "LeaseExpired";
inline constexpr std::string_view kConsumerGoneError =
    "consumer disconnected while holding the lease";
inline constexpr std::string_view kConsumerGoneClass = "ConsumerGone";

/// One failed attempt. Kept per envelope, not only the last.
struct FailureView {
  uint32_t attempt = 0;
  int64_t failed_at_ms = 0;
  std::string_view error;
  std::string_view error_class;
};

/// EnvelopeRecord (kEnqueued and kSnapshot) := u64 id, str16 queue, u8 priority, u8 state, i64
/// created_at_ms,
///   i64 available_at_ms, u32 attempts, u16 max_retries, str16 idempotency_key,
///   u16 failure_count, failure_count x (u32 attempt, i64 failed_at_ms, str16 error,
///   str16 error_class), blob32 body (protocol MessageBody)
struct EnvelopeRecord {
  uint64_t id = 0;
  std::string_view queue;
  uint8_t priority = 0;
  PersistedState state = PersistedState::kPending;
  int64_t created_at_ms = 0;
  int64_t available_at_ms = 0;
  uint32_t attempts = 0;  ///< deliveries made so far
  uint16_t max_retries = 0;
  std::string_view idempotency_key;
  std::vector<FailureView> failures;  ///< decode side; encode takes a span
  std::string_view body;
};

/// A compaction rewrite: the same layout as an enqueue, a different meaning for replay.
struct SnapshotRecord : EnvelopeRecord {};

/// LeasedRecord := u64 id, u64 consumer, i64 deadline_ms, u32 attempt
struct LeasedRecord {
  uint64_t id = 0;
  uint64_t consumer = 0;
  int64_t deadline_ms = 0;
  uint32_t attempt = 0;
};

/// AckedRecord := u64 id, i64 at_ms
struct AckedRecord {
  uint64_t id = 0;
  int64_t at_ms = 0;
};

/// RetryScheduledRecord := u64 id, u32 attempt, i64 failed_at_ms, i64 available_at_ms,
///   str16 error, str16 error_class
struct RetryScheduledRecord {
  uint64_t id = 0;
  uint32_t attempt = 0;
  int64_t failed_at_ms = 0;
  int64_t available_at_ms = 0;
  std::string_view error;
  std::string_view error_class;
};

/// ReturnedRecord := u64 id, u32 attempts, u8 reason, i64 at_ms
/// `attempts` is the count after the return (a release gives its attempt back).
struct ReturnedRecord {
  uint64_t id = 0;
  uint32_t attempts = 0;
  ReturnReason reason = ReturnReason::kLeaseExpired;
  int64_t at_ms = 0;
};

/// DeadLetteredRecord := u64 id, u32 attempt, i64 failed_at_ms, str16 error, str16 error_class
struct DeadLetteredRecord {
  uint64_t id = 0;
  uint32_t attempt = 0;
  int64_t failed_at_ms = 0;
  std::string_view error;
  std::string_view error_class;
};

/// DeadRetriedRecord := u64 id, i64 available_at_ms
struct DeadRetriedRecord {
  uint64_t id = 0;
  int64_t available_at_ms = 0;
};

/// DeletedRecord := u64 id, i64 at_ms
struct DeletedRecord {
  uint64_t id = 0;
  int64_t at_ms = 0;
};

/// QueuePurgedRecord := u64 0, str16 queue, i64 at_ms
struct QueuePurgedRecord {
  std::string_view queue;
  int64_t at_ms = 0;
};

/// IdempotencyKeyRecord := u64 id, str16 queue, str16 key, i64 seen_at_ms
struct IdempotencyKeyRecord {
  uint64_t id = 0;
  std::string_view queue;
  std::string_view key;
  int64_t seen_at_ms = 0;
};

/// CompletedRecord := u64 id, str16 queue, i64 completed_at_ms
struct CompletedRecord {
  uint64_t id = 0;
  std::string_view queue;
  int64_t completed_at_ms = 0;
};

/// ScheduleSetRecord := u64 0, protocol ScheduleInfo (the wire encoding, schedule.h)
struct ScheduleSetRecord {
  protocol::ScheduleInfo info;
};

/// ScheduleDeletedRecord := u64 0, u64 schedule_id, i64 at_ms
struct ScheduleDeletedRecord {
  uint64_t schedule_id = 0;
  int64_t at_ms = 0;
};

/// Alternatives are declared in RecordType order (type_of relies on it).
using Record =
    std::variant<EnvelopeRecord, SnapshotRecord, LeasedRecord, AckedRecord, RetryScheduledRecord,
                 ReturnedRecord, DeadLetteredRecord, DeadRetriedRecord, DeletedRecord,
                 QueuePurgedRecord, IdempotencyKeyRecord, CompletedRecord, ScheduleSetRecord,
                 ScheduleDeletedRecord>;

RecordType type_of(const Record& record);
uint64_t message_id_of(const Record& record);

}  // namespace symphony::wal
